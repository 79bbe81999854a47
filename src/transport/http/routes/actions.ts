/** GET /v1/actions/:id — one action's state and, once completed, its output. */
import { Hono } from "hono";
import { HttpError, methodNotAllowed } from "../context.ts";
import type { HttpEnv, RouteKit } from "../context.ts";

export function actionRoutes({ deps, auth }: RouteKit): Hono<HttpEnv> {
  const r = new Hono<HttpEnv>();
  r.get("/v1/actions/:action_id", auth, (c) => {
    const id = c.req.param("action_id");
    const a = id.length <= 128 ? deps.store.getAction(id) : null;
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
  r.all("/v1/actions/:action_id", auth, methodNotAllowed("use GET"));
  return r;
}
