/**
 * The approval requests: GET /v1/approvals (a page, cursor-linked),
 * GET /v1/approvals/:id, and POST /v1/approvals/:id/resolutions — the one
 * write, open to anyone holding a signed resolution (the signature is the
 * credential). A sender without the read token is unauthenticated: its
 * refusals are coalesced in the audit log, and it is told codes, not
 * digests or roles.
 */
import { Hono } from "hono";
import { submitResolution } from "../../../app/approval-service.ts";
import { publicRefusalMessage, RefusalLog } from "../../../app/refusal-log.ts";
import { ListQuery } from "../../../protocol/http-views.ts";
import { errorBody, HttpError, methodNotAllowed, queryOf } from "../context.ts";
import type { HttpEnv, RouteKit } from "../context.ts";

const encodeCursor = (id: string) => btoa(id).replace(/\+/g, "-").replace(/\//g, "_");
function decodeCursor(s: string): string {
  try {
    if (!/^[A-Za-z0-9_-]{1,400}={0,2}$/.test(s)) throw new Error();
    return atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new HttpError("invalid_argument", "cursor is not one this server issued; drop it");
  }
}

export function approvalRoutes({ deps, auth, authed }: RouteKit): Hono<HttpEnv> {
  const { store, metrics } = deps;
  const refusals = new RefusalLog();
  const r = new Hono<HttpEnv>();
  /** A view's reads (request, resolutions, reason) on one snapshot where the store has them. */
  const snapshot = <T>(fn: () => T): T => store.snapshot ? store.snapshot(fn) : fn();

  r.get("/v1/approvals", auth, (c) => {
    const q = queryOf(ListQuery, c, ["limit", "cursor"]);
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const body = snapshot(() => {
      const rows = store.listRequests({
        limit: limit + 1,
        ...(q.state ? { state: q.state } : {}),
        ...(after !== undefined ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const more = rows.length > limit;
      return {
        items: page.map((row) => deps.view(row)),
        next_cursor: more ? encodeCursor(page[page.length - 1]!.id) : null,
      };
    });
    return c.json(body);
  });
  r.all("/v1/approvals", auth, methodNotAllowed("use GET on /v1/approvals"));

  r.get("/v1/approvals/:request_id", auth, (c) => {
    const id = c.req.param("request_id");
    const view = id.length <= 128
      ? snapshot(() => {
        const row = store.getRequest(id);
        return row ? deps.view(row) : null;
      })
      : null;
    if (!view) {
      throw new HttpError("request_not_found", `no approval request "${id.slice(0, 128)}"`);
    }
    return c.json(view);
  });
  r.all("/v1/approvals/:request_id", auth, methodNotAllowed("use GET"));

  // The body is already within the app's bodyLimit (16 KiB).
  r.post("/v1/approvals/:request_id/resolutions", async (c) => {
    const ct = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;.*)?$/i.test(ct)) {
      throw new HttpError(
        "unsupported_media_type",
        `Content-Type must be application/json (got "${ct.slice(0, 64)}")`,
      );
    }
    const text = await c.req.text();
    const t0 = performance.now();
    const isAuthed = authed(c);
    const res = await submitResolution(
      { store, clock: deps.clock, logger: deps.logger, policy: deps.policy },
      text,
      c.req.param("request_id"),
      isAuthed ? undefined : { id: `http:${c.env?.ip ?? "unknown"}`, log: refusals },
    );
    metrics.commit.observe({ op: "resolution" }, (performance.now() - t0) / 1000);
    if (res.status === "refused") {
      // (an authenticated sender's refusal is one event each, counted from the log)
      if (!isAuthed) metrics.resolutions.inc({ result: "refused", code: res.code.slice(0, 64) });
      const shown = deps.token && !isAuthed ? publicRefusalMessage(res.code) : res.message;
      return errorBody(c, res.code, shown);
    }
    // The view reuses the tally, resolutions and reason of the transaction:
    // counted once per POST, and no read transaction after it.
    return c.json({
      status: res.status,
      ...deps.view(res.request, {
        tally: res.tally,
        resolutions: res.resolutions,
        reason: res.reason,
      }),
    }, res.status === "accepted" ? 201 : 200);
  });
  r.all(
    "/v1/approvals/:request_id/resolutions",
    auth,
    methodNotAllowed("use POST with a signed resolution"),
  );
  return r;
}
