/**
 * GET /healthz and GET /openapi.json (public: they hold no data) and
 * GET /metrics (Prometheus text; needs the read token when one is set).
 */
import { Hono } from "hono";
import { openApiDocument } from "../openapi.ts";
import { methodNotAllowed } from "../context.ts";
import type { HttpEnv, RouteKit } from "../context.ts";

export function healthRoutes({ deps, auth }: RouteKit): Hono<HttpEnv> {
  const r = new Hono<HttpEnv>();
  r.get("/healthz", (c) => c.json({ ok: true }));
  r.all("/healthz", methodNotAllowed("use GET on /healthz"));

  let openapi: string | null = null;
  r.get("/openapi.json", (c) => {
    openapi ??= JSON.stringify(openApiDocument(new URL(c.req.url).origin), null, 2);
    return c.body(openapi, 200, { "content-type": "application/json" });
  });
  r.all("/openapi.json", methodNotAllowed("use GET on /openapi.json"));

  r.get("/metrics", auth, (c) =>
    c.body(deps.metrics.registry.expose(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }));
  r.all("/metrics", auth, methodNotAllowed("use GET on /metrics"));
  return r;
}
