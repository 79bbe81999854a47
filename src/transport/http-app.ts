/**
 * The HTTP approval endpoint (SPEC §6) as a Hono app over web-standard
 * Request/Response: routes, guards, and the one table mapping error codes to
 * statuses. No listen(): the Platform's serveHttp (platform/bun.ts, platform/deno.ts) serves `app.fetch`, and
 * tests call it directly. The client's address comes in as the `ip` binding.
 *
 *   const app = createHttpApp(deps);
 *   const res = await app.fetch(new Request("http://x/healthz"), { ip: "127.0.0.1" });
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { submitResolution } from "../app/approval-service.ts";
import { publicRefusalMessage, RefusalLog } from "../app/refusal-log.ts";
import type { ApprovalRequestRecord } from "../core/records.ts";
import type { Clock, Logger } from "../app/ports/system.ts";
import type { Store } from "../app/ports/store.ts";
import type { SseHub } from "../bus/sse-hub.ts";
import { isWarrantError } from "../core/errors.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import {
  bearerChecker,
  DEFAULT_HEADER_LIMITS,
  DEFAULT_RATE_LIMIT,
  drainBody,
  headersFit,
  readBodyCapped,
  TokenBuckets,
} from "./http-guards.ts";
import type { HeaderLimits, RateLimit } from "./http-guards.ts";
import type { HttpMetrics } from "./http-metrics.ts";
import { SSE_HEARTBEAT_MS, sseStream } from "./http-sse.ts";
import { AuditWatch, inboxRoutes, isInboxPath, setSecurityHeaders } from "./http-inbox.ts";
import { openApiDocument } from "./http-openapi.ts";
import { HTTP_STATUS } from "./http-status.ts";
import { EventsQuery, ListQuery } from "../protocol/http-views.ts";
import type { z } from "zod";
import type { HttpCode } from "./http-status.ts";

export { HTTP_STATUS };
export type { HttpCode };

/** A coded HTTP failure thrown inside a route; onError turns it into the error body. */
export class HttpError extends Error {
  constructor(readonly code: HttpCode, message: string) {
    super(message);
  }
}

/** Largest request body (413 beyond; a resolution itself must be ≤ 8 KiB). */
export const BODY_MAX_BYTES = 16 * 1024;
/**
 * How much of a refused body is read and discarded so that a client that
 * uploads everything before reading still gets its 413 (the platform's own
 * limit is set to this; past it the connection is closed, as RFC 9110 allows).
 */
export const BODY_DRAIN_MAX_BYTES = 16 * 1024 * 1024;

export interface HttpAppDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  policy: () => CompiledPolicy;
  /** The JSON form of a request (cli/views.ts requestView). */
  view: (r: ApprovalRequestRecord) => Record<string, unknown>;
  hub: SseHub;
  metrics: HttpMetrics;
  /** Reads need `Authorization: Bearer <token>` when set. */
  token?: string | null;
  /** null turns rate limiting off (benchmarks). */
  rateLimit?: RateLimit | null;
  headerLimits?: HeaderLimits;
  heartbeatMs?: number;
}

type Env = { Bindings: { ip?: string } };

function routeOf(path: string): string {
  if (path === "/healthz" || path === "/metrics" || path === "/v1/events") return path;
  if (path === "/v1/audit/verify" || path === "/openapi.json") return path;
  if (isInboxPath(path)) return "inbox";
  if (path === "/v1/approvals") return path;
  if (/^\/v1\/approvals\/[^/]+\/resolutions$/.test(path)) return "/v1/approvals/:id/resolutions";
  if (/^\/v1\/approvals\/[^/]+$/.test(path)) return "/v1/approvals/:id";
  if (/^\/v1\/actions\/[^/]+$/.test(path)) return "/v1/actions/:id";
  return "other";
}

/** RFC 9457 `type` of an error code: a stable URN, one per code. */
export const problemType = (code: string) => `urn:warrant:error:${code}`;

/**
 * An error as RFC 9457 application/problem+json: type (per code), title,
 * status, detail, and warrant's `code` as an extension member. `error`
 * ({code, message}) is the pre-0.2 body, kept for one release (deprecated).
 */
export function problemBody(code: HttpCode, message: string) {
  const status = HTTP_STATUS[code] ?? 500;
  const title = code.replace(/_/g, " ").replace(/^./, (ch) => ch.toUpperCase());
  return {
    type: problemType(code),
    title,
    status,
    detail: message,
    code,
    error: { code, message },
  };
}

function errorBody(c: Context, code: HttpCode, message: string): Response {
  const body = problemBody(code, message);
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="warrant"';
  if (code === "rate_limited" || code === "store_busy" || code === "too_many_replays") {
    headers["retry-after"] = "1";
  }
  if (code === "method_not_allowed") headers.allow = "GET, POST";
  return c.body(JSON.stringify(body), body.status as 400, headers);
}

const encodeCursor = (id: string) => btoa(id).replace(/\+/g, "-").replace(/\//g, "_");
function decodeCursor(s: string): string {
  try {
    if (!/^[A-Za-z0-9_-]{1,400}={0,2}$/.test(s)) throw new Error();
    return atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new HttpError("invalid_argument", "cursor is not one this server issued; drop it");
  }
}

/**
 * Parse the query with its protocol schema (protocol/http-views.ts); the
 * first issue's message is the 400's detail. Keys in `emptyIsAbsent` sent
 * empty (`?limit=`) count as not sent.
 */
function queryOf<S extends z.ZodType>(schema: S, c: Context, emptyIsAbsent: string[]): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.req.query())) {
    if (!(v === "" && emptyIsAbsent.includes(k))) raw[k] = v;
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new HttpError("invalid_argument", r.error.issues[0]!.message);
  return r.data;
}

function intParam(v: string | undefined, name: string, min: number, max: number): number | null {
  if (v === undefined || v === "") return null;
  if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError("invalid_argument", `${name} must be an integer in ${min}..${max}`);
  }
  return Number(v);
}

/** Build the app. Pure wiring: no sockets, no timers (the hub owns its own). */
export function createHttpApp(deps: HttpAppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const { store, metrics } = deps;
  const authOk = deps.token ? bearerChecker(deps.token) : () => true;
  const buckets = deps.rateLimit === null
    ? null
    : new TokenBuckets(deps.rateLimit ?? DEFAULT_RATE_LIMIT, () => deps.clock.now());
  const headerLimits = deps.headerLimits ?? DEFAULT_HEADER_LIMITS;
  const audit = new AuditWatch(store);
  const refusals = new RefusalLog();

  app.use("*", async (c, next) => {
    const t0 = performance.now();
    const path = c.req.path;
    const isWrite = c.req.method === "POST" && routeOf(path) === "/v1/approvals/:id/resolutions";
    const declared = Number(c.req.header("content-length") ?? "0");
    if (Number.isFinite(declared) && declared > BODY_MAX_BYTES) {
      c.res = errorBody(
        c,
        "payload_too_large",
        `request body of ${declared} bytes exceeds ${BODY_MAX_BYTES} bytes`,
      );
    } else if (!headersFit(c.req.raw.headers, headerLimits)) {
      c.res = errorBody(
        c,
        "headers_too_large",
        `request headers exceed ${headerLimits.maxCount} fields or ${headerLimits.maxBytes} bytes`,
      );
    } else if (buckets && !buckets.take(c.env?.ip ?? "unknown")) {
      c.res = errorBody(c, "rate_limited", "too many requests from this client; slow down");
    } else if (c.req.method === "OPTIONS") {
      c.res = errorBody(c, "method_not_allowed", "OPTIONS is not supported (no CORS)");
    } else if (
      path !== "/healthz" && path !== "/openapi.json" && !isWrite && !isInboxPath(path) &&
      !authOk(c.req.header("authorization"))
    ) {
      c.res = errorBody(
        c,
        "unauthorized",
        "this endpoint needs Authorization: Bearer <token> (the value of the env var named by http.token_env)",
      );
    } else {
      await next();
    }
    // A body nobody read (refused early, or a route that takes none) is
    // drained before the response goes out, so the client can read it.
    if (!(await drainBody(c.req.raw, BODY_DRAIN_MAX_BYTES))) {
      c.res.headers.set("connection", "close");
    }
    c.res.headers.set("cache-control", "no-store");
    c.res.headers.set("x-content-type-options", "nosniff");
    setSecurityHeaders(c.res.headers);
    metrics.http.observe(
      { route: routeOf(path), method: c.req.method, status: String(c.res.status) },
      (performance.now() - t0) / 1000,
    );
  });

  app.get("/healthz", (c) => c.json({ ok: true }));

  let openapi: string | null = null;
  app.get("/openapi.json", (c) => {
    openapi ??= JSON.stringify(openApiDocument(new URL(c.req.url).origin), null, 2);
    return c.body(openapi, 200, { "content-type": "application/json" });
  });

  app.get("/metrics", (c) =>
    c.body(metrics.registry.expose(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }));

  app.get("/v1/approvals", (c) => {
    const q = queryOf(ListQuery, c, ["limit", "cursor"]);
    const state = q.state;
    const limit = q.limit ?? 50;
    const cursor = q.cursor;
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = store.listRequests({
      limit: limit + 1,
      ...(state ? { state } : {}),
      ...(after !== undefined ? { after } : {}),
    });
    const page = rows.slice(0, limit);
    const more = rows.length > limit;
    return c.json({
      items: page.map((r) => deps.view(r)),
      next_cursor: more ? encodeCursor(page[page.length - 1]!.id) : null,
    });
  });

  app.get("/v1/approvals/:request_id", (c) => {
    const id = c.req.param("request_id");
    const r = id.length <= 128 ? store.getRequest(id) : null;
    if (!r) throw new HttpError("request_not_found", `no approval request "${id.slice(0, 128)}"`);
    return c.json(deps.view(r));
  });

  app.post("/v1/approvals/:request_id/resolutions", async (c) => {
    const ct = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;.*)?$/i.test(ct)) {
      throw new HttpError(
        "unsupported_media_type",
        `Content-Type must be application/json (got "${ct.slice(0, 64)}")`,
      );
    }
    const text = await readBodyCapped(c.req.raw, BODY_MAX_BYTES, BODY_DRAIN_MAX_BYTES);
    if (text === null) {
      throw new HttpError("payload_too_large", `body larger than ${BODY_MAX_BYTES} bytes`);
    }
    const t0 = performance.now();
    // A sender without the read token is unauthenticated: its refusals are
    // coalesced in the audit log, and it is told codes, not digests or roles.
    const authed = deps.token ? authOk(c.req.header("authorization")) : false;
    const r = await submitResolution(
      { store, clock: deps.clock, logger: deps.logger, policy: deps.policy },
      text,
      c.req.param("request_id"),
      authed ? undefined : { id: `http:${c.env?.ip ?? "unknown"}`, log: refusals },
    );
    metrics.commit.observe({ op: "resolution" }, (performance.now() - t0) / 1000);
    if (r.status === "refused") {
      // (an authenticated sender's refusal is one event each, counted from the log)
      if (!authed) metrics.resolutions.inc({ result: "refused", code: r.code.slice(0, 64) });
      const shown = deps.token && !authed ? publicRefusalMessage(r.code) : r.message;
      return errorBody(c, r.code, shown);
    }
    const { state, progress, denied_by } = r.tally;
    return c.json({
      status: r.status,
      ...deps.view(r.request),
      quorum: { state, progress, denied_by },
    }, r.status === "accepted" ? 201 : 200);
  });

  app.get("/v1/actions/:action_id", (c) => {
    const id = c.req.param("action_id");
    const a = id.length <= 128 ? store.getAction(id) : null;
    if (!a) throw new HttpError("not_found", `no action "${id.slice(0, 128)}"`);
    return c.json({
      action_id: a.id,
      state: a.state,
      tool: a.tool,
      args_digest: a.args_digest,
      origin: a.origin,
      via: a.via,
      effect: a.effect,
      kind: a.kind,
      reason: a.reason,
      rules: a.rules,
      policy: a.policy_id ? { id: a.policy_id, version: a.policy_version } : null,
      request_id: a.request_id,
      deadline: a.deadline === null ? null : new Date(a.deadline).toISOString(),
      output: a.state === "completed" ? a.output : null,
      created_at: new Date(a.created_at).toISOString(),
      updated_at: new Date(a.updated_at).toISOString(),
    });
  });

  app.get("/v1/events", (c) => {
    const fromHeader = c.req.header("last-event-id");
    const after = intParam(
      fromHeader ?? c.req.query("after"),
      fromHeader !== undefined ? "Last-Event-ID" : "after",
      0,
      Number.MAX_SAFE_INTEGER,
    );
    const q = queryOf(EventsQuery.omit({ after: true }), c, ["type"]);
    const types = q.type?.split(",");
    const action = q.action;
    // Replays read history page by page; past the cap, clients come back later.
    if (deps.hub.replayFull(after)) {
      throw new HttpError(
        "too_many_replays",
        `${deps.hub.maxReplays} replays of the event history are running; retry after 1 s ` +
          `(or subscribe live, without after)`,
      );
    }
    const sub = deps.hub.subscribe(after, {
      ...(types ? { types } : {}),
      ...(action !== undefined ? { actionId: action } : {}),
    });
    c.req.raw.signal.addEventListener("abort", () => sub.close());
    return new Response(sseStream(sub, deps.heartbeatMs ?? SSE_HEARTBEAT_MS), {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "x-accel-buffering": "no",
      },
    });
  });

  inboxRoutes(app, audit);

  const getOnly = [
    "/healthz",
    "/metrics",
    "/v1/approvals",
    "/v1/events",
    "/v1/audit/verify",
    "/openapi.json",
  ];
  for (const path of getOnly) {
    app.all(path, (c) => errorBody(c, "method_not_allowed", `use GET on ${path}`));
  }
  app.all(
    "/v1/approvals/:id/resolutions",
    (c) => errorBody(c, "method_not_allowed", "use POST with a signed resolution"),
  );
  app.all("/v1/approvals/:id", (c) => errorBody(c, "method_not_allowed", "use GET"));
  app.all("/v1/actions/:id", (c) => errorBody(c, "method_not_allowed", "use GET"));

  // after the page's GET routes: any other method on them is a 405
  app.all(
    "/*",
    (c) =>
      isInboxPath(c.req.path)
        ? errorBody(c, "method_not_allowed", `use GET on ${c.req.path}`)
        : errorBody(c, "not_found", `no route ${c.req.method} ${c.req.path}`),
  );

  app.notFound((c) => errorBody(c, "not_found", `no route ${c.req.method} ${c.req.path}`));

  app.onError((err, c) => {
    if (err instanceof HttpError) return errorBody(c, err.code, err.message);
    if (isWarrantError(err)) return errorBody(c, err.code, err.message);
    deps.logger.log("error", "unexpected error in the HTTP app", {
      method: c.req.method,
      route: routeOf(c.req.path),
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return errorBody(c, "internal_error", "unexpected server error (logged)");
  });

  return app;
}
