/**
 * What every HTTP route module shares: the app's dependencies, the Hono env
 * (the client's address arrives as the `ip` binding), the coded error type a
 * route throws, the RFC 9457 problem body, and query parsing through the
 * protocol's zod schemas.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { Clock, Logger } from "../../app/ports/system.ts";
import type { Store } from "../../app/ports/store.ts";
import type { SseHub } from "../../bus/sse-hub.ts";
import type { CompiledPolicy } from "../../core/policy/compile.ts";
import type { ApprovalRequestRecord, ResolutionRecord } from "../../core/records.ts";
import type { QuorumTally } from "../../core/approval/resolution.ts";
import type { HeaderLimits, RateLimit } from "./guards.ts";
import type { HttpMetrics } from "./metrics.ts";
import { HTTP_STATUS } from "./status.ts";
import type { HttpCode } from "./status.ts";

export interface HttpAppDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  policy: () => CompiledPolicy;
  /**
   * The JSON form of a request (app/request-view.ts requestView); `known`:
   * the tally and resolutions a POST already read in its transaction.
   */
  view: (
    r: ApprovalRequestRecord,
    known?: {
      tally: QuorumTally;
      resolutions: readonly ResolutionRecord[];
      reason?: string | null;
    },
  ) => Record<string, unknown>;
  hub: SseHub;
  metrics: HttpMetrics;
  /** Reads need `Authorization: Bearer <token>` when set. */
  token?: string | null;
  /** null turns rate limiting off (benchmarks). */
  rateLimit?: RateLimit | null;
  headerLimits?: HeaderLimits;
  heartbeatMs?: number;
}

export type HttpEnv = { Bindings: { ip?: string } };

/** What a route module gets from the app: its deps and the read-token guard. */
export interface RouteKit {
  deps: HttpAppDeps;
  /** Hono's bearerAuth with our token check (a pass-through when no token is set). */
  auth: MiddlewareHandler<HttpEnv>;
  /** Whether this request carries the read token (false when none is set). */
  authed: (c: Context<HttpEnv>) => boolean;
}

/** A coded HTTP failure thrown inside a route; onError turns it into the error body. */
export class HttpError extends Error {
  constructor(readonly code: HttpCode, message: string) {
    super(message);
  }
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

/** The problem response for `code`, with the headers its status calls for. */
export function errorBody(c: Context, code: HttpCode, message: string): Response {
  const body = problemBody(code, message);
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="warrant"';
  if (code === "rate_limited" || code === "store_busy" || code === "too_many_replays") {
    headers["retry-after"] = "1";
  }
  if (code === "method_not_allowed") headers.allow = "GET, POST";
  return c.body(JSON.stringify(body), body.status as 400, headers);
}

/** A handler answering 405 with `hint` (registered after a path's real methods). */
export const methodNotAllowed = (hint: string) => (c: Context) =>
  errorBody(c, "method_not_allowed", hint);

/**
 * Parse the query with its protocol schema (protocol/http-views.ts); the
 * first issue's message is the 400's detail. Keys in `emptyIsAbsent` sent
 * empty (`?limit=`) count as not sent.
 */
export function queryOf<S extends z.ZodType>(
  schema: S,
  c: Context,
  emptyIsAbsent: string[],
): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.req.query())) {
    if (!(v === "" && emptyIsAbsent.includes(k))) raw[k] = v;
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new HttpError("invalid_argument", r.error.issues[0]!.message);
  return r.data;
}

/** An optional integer parameter in min..max (null when absent or empty). */
export function intParam(
  v: string | undefined,
  name: string,
  min: number,
  max: number,
): number | null {
  if (v === undefined || v === "") return null;
  if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError("invalid_argument", `${name} must be an integer in ${min}..${max}`);
  }
  return Number(v);
}
