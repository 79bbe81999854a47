/**
 * GET /v1/events — the audit log as Server-Sent Events, from `after` (or
 * Last-Event-ID) on, optionally filtered by type and action. Replays are
 * capped: past the hub's limit the client is told to come back (503).
 */
import { Hono } from "hono";
import { EventsQuery } from "../../../protocol/http-views.ts";
import { HttpError, intParam, methodNotAllowed, queryOf } from "../context.ts";
import type { HttpEnv, RouteKit } from "../context.ts";
import { SSE_HEARTBEAT_MS, sseResponse } from "../sse.ts";

export function eventRoutes({ deps, auth }: RouteKit): Hono<HttpEnv> {
  const r = new Hono<HttpEnv>();
  r.get("/v1/events", auth, (c) => {
    const fromHeader = c.req.header("last-event-id");
    const after = intParam(
      fromHeader ?? c.req.query("after"),
      fromHeader !== undefined ? "Last-Event-ID" : "after",
      0,
      Number.MAX_SAFE_INTEGER,
    );
    const q = queryOf(EventsQuery.omit({ after: true }), c, ["type"]);
    const types = q.type?.split(",");
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
      ...(q.action !== undefined ? { actionId: q.action } : {}),
    });
    c.req.raw.signal.addEventListener("abort", () => sub.close());
    return sseResponse(c, sub, deps.heartbeatMs ?? SSE_HEARTBEAT_MS);
  });
  r.all("/v1/events", auth, methodNotAllowed("use GET on /v1/events"));
  return r;
}
