/**
 * The HTTP approval endpoint (docs/http-api.md) as a Hono app over
 * web-standard Request/Response, built from Hono's own parts: bodyLimit for
 * the 16 KiB cap, bearerAuth (with our constant-time token check) on every
 * route that reads data, streamSSE for the event stream, and route patterns
 * in modules (routes/: health, approvals, actions, events, inbox). This
 * file adds what Hono does not ship: header limits, per-client rate limits,
 * draining a refused body so the client can read its 413, the security
 * headers, latency metrics, and the one error-to-status table (status.ts).
 * No listen(): the Platform's serveHttp (platform/bun.ts, platform/deno.ts)
 * serves `app.fetch`, and tests call it directly. The client's address
 * comes in as the `ip` binding.
 *
 *   const app = createHttpApp(deps);
 *   const res = await app.fetch(new Request("http://x/healthz"), { ip: "127.0.0.1" });
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { matchedRoutes } from "hono/route";
import { isWarrantError } from "../../core/errors.ts";
import { errorBody, HttpError, problemBody, problemType } from "./context.ts";
import type { HttpAppDeps, HttpEnv, RouteKit } from "./context.ts";
import {
  bearerChecker,
  DEFAULT_HEADER_LIMITS,
  DEFAULT_RATE_LIMIT,
  drainableBody,
  headersFit,
  TokenBuckets,
  tokenVerifier,
} from "./guards.ts";
import { HTTP_STATUS } from "./status.ts";
import type { HttpCode } from "./status.ts";
import { actionRoutes } from "./routes/actions.ts";
import { approvalRoutes } from "./routes/approvals.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { inboxRoutes, isInboxPath, setSecurityHeaders } from "./routes/inbox.ts";

export { HTTP_STATUS, HttpError, problemBody, problemType };
export type { HttpAppDeps, HttpCode };

/** Largest request body (413 beyond; a resolution itself must be ≤ 8 KiB). */
export const BODY_MAX_BYTES = 16 * 1024;
/**
 * How much of a refused body is read and discarded so that a client that
 * uploads everything before reading still gets its 413 (the platform's own
 * limit is set to this; past it the connection is closed, as RFC 9110 allows).
 */
export const BODY_DRAIN_MAX_BYTES = 16 * 1024 * 1024;

const UNAUTHORIZED =
  "this endpoint needs Authorization: Bearer <token> (the value of the env var named by http.token_env)";

/** Build the app. Pure wiring: no sockets, no timers (the hub owns its own). */
export function createHttpApp(deps: HttpAppDeps): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  const { metrics } = deps;
  const buckets = deps.rateLimit === null
    ? null
    : new TokenBuckets(deps.rateLimit ?? DEFAULT_RATE_LIMIT, () => deps.clock.now());
  const headerLimits = deps.headerLimits ?? DEFAULT_HEADER_LIMITS;

  // Global middleware, in order; routeLabel skips them when naming the route.
  const outer: MiddlewareHandler<HttpEnv> = async (c, next) => {
    const t0 = performance.now();
    const body = drainableBody(c.req.raw);
    c.req.raw = body.req;
    await next();
    // A body nobody read (refused early, or a route that takes none) is
    // drained before the response goes out, so the client can read it.
    if (!(await body.drain(BODY_DRAIN_MAX_BYTES))) c.res.headers.set("connection", "close");
    c.res.headers.set("cache-control", "no-store");
    c.res.headers.set("x-content-type-options", "nosniff");
    setSecurityHeaders(c.res.headers);
    metrics.http.observe(
      { route: routeLabel(c), method: c.req.method, status: String(c.res.status) },
      (performance.now() - t0) / 1000,
    );
  };
  const tooLarge = (c: Context) => {
    const declared = c.req.header("content-length");
    return errorBody(
      c,
      "payload_too_large",
      declared !== undefined
        ? `request body of ${declared} bytes exceeds ${BODY_MAX_BYTES} bytes`
        : `body larger than ${BODY_MAX_BYTES} bytes`,
    );
  };
  const honoLimit = bodyLimit({ maxSize: BODY_MAX_BYTES, onError: tooLarge });
  // The runtime hides a GET's body (Request.body is null) though it is on
  // the wire; bodyLimit then passes it, so its declared length is checked here.
  const limit: MiddlewareHandler<HttpEnv> = (c, next) =>
    !c.req.raw.body && Number(c.req.header("content-length") ?? "0") > BODY_MAX_BYTES
      ? Promise.resolve(tooLarge(c))
      : honoLimit(c, next);
  const guards: MiddlewareHandler<HttpEnv> = async (c, next) => {
    if (!headersFit(c.req.raw.headers, headerLimits)) {
      return errorBody(
        c,
        "headers_too_large",
        `request headers exceed ${headerLimits.maxCount} fields or ${headerLimits.maxBytes} bytes`,
      );
    }
    if (buckets && !buckets.take(c.env?.ip ?? "unknown")) {
      return errorBody(c, "rate_limited", "too many requests from this client; slow down");
    }
    if (c.req.method === "OPTIONS") {
      return errorBody(c, "method_not_allowed", "OPTIONS is not supported (no CORS)");
    }
    await next();
  };
  const global = new Set<unknown>([outer, limit, guards]);
  // A route pattern's label, worked out once (the patterns are the app's own, few).
  const labels = new Map<string, string>();
  function routeLabel(c: Context): string {
    for (const { path, handler } of matchedRoutes(c)) {
      if (global.has(handler)) continue;
      let label = labels.get(path);
      if (label === undefined) {
        // (labels keep the names dashboards know: /v1/approvals/:id, "inbox")
        label = path === "/*"
          ? "other"
          : isInboxPath(path)
          ? "inbox"
          : path.replace(/:[a-z_]+/g, ":id");
        labels.set(path, label);
      }
      return label;
    }
    return "other";
  }
  app.use("*", outer, limit, guards);

  const verify = deps.token ? tokenVerifier(deps.token) : null;
  const checkHeader = deps.token ? bearerChecker(deps.token) : null;
  const deny = (c: Context) => errorBody(c, "unauthorized", UNAUTHORIZED);
  const kit: RouteKit = {
    deps,
    auth: verify
      ? bearerAuth<HttpEnv>({
        verifyToken: (token) => verify(token),
        noAuthenticationHeader: { message: deny },
        invalidAuthenticationHeader: { message: deny },
        invalidToken: { message: deny },
      })
      : async (_c, next) => {
        await next();
      },
    authed: (c) => checkHeader !== null && checkHeader(c.req.header("authorization")),
  };

  app.route("/", healthRoutes(kit));
  app.route("/", approvalRoutes(kit));
  app.route("/", actionRoutes(kit));
  app.route("/", eventRoutes(kit));
  app.route("/", inboxRoutes(kit));
  app.all(
    "/*",
    kit.auth,
    (c) => errorBody(c, "not_found", `no route ${c.req.method} ${c.req.path}`),
  );
  app.notFound((c) => errorBody(c, "not_found", `no route ${c.req.method} ${c.req.path}`));

  app.onError((err, c) => {
    if (err instanceof HttpError) return errorBody(c, err.code, err.message);
    if (err instanceof HTTPException) return err.getResponse();
    if (isWarrantError(err)) return errorBody(c, err.code, err.message);
    deps.logger.log("error", "unexpected error in the HTTP app", {
      method: c.req.method,
      route: routeLabel(c),
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return errorBody(c, "internal_error", "unexpected server error (logged)");
  });

  return app;
}
