/**
 * The one place that opens an HTTP socket (Bun.serve). The handler is a
 * web-standard fetch function; the client's address is passed to it as
 * `{ ip }` (the HTTP app's binding).
 */

export type FetchHandler = (
  req: Request,
  bindings: { ip?: string },
) => Response | Promise<Response>;

export interface ServeOptions {
  hostname: string;
  /** 0 picks a free port; read the bound one from the result. */
  port: number;
  /** Bun refuses larger bodies before the handler runs. */
  maxRequestBodySize: number;
  /** Seconds a connection may stay silent (SSE heartbeats keep streams alive). Default 60. */
  idleTimeoutSec?: number;
}

export interface HttpServer {
  hostname: string;
  port: number;
  /** Stop accepting; resolve when in-flight requests have finished (or `force` closes them). */
  stop(force?: boolean): Promise<void>;
}

/**
 * Listen on `hostname:port` and serve `fetch`. Throws when the address
 * cannot be bound (in use, not permitted).
 *
 * @example const s = serveHttp(app.fetch, { hostname: "127.0.0.1", port: 0, maxRequestBodySize: 16384 });
 */
export function serveHttp(fetch: FetchHandler, opts: ServeOptions): HttpServer {
  const server = Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    maxRequestBodySize: opts.maxRequestBodySize,
    idleTimeout: opts.idleTimeoutSec ?? 60,
    development: false,
    fetch(req, srv) {
      const ip = srv.requestIP(req)?.address;
      return fetch(req, ip ? { ip } : {});
    },
    error() {
      return new Response(
        JSON.stringify({ error: { code: "internal_error", message: "unexpected server error" } }),
        { status: 500, headers: { "content-type": "application/json" } },
      );
    },
  });
  return {
    hostname: server.hostname ?? opts.hostname,
    port: server.port ?? opts.port,
    async stop(force = false) {
      await server.stop(force);
    },
  };
}
