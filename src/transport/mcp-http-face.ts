/**
 * `warrant mcp --listen`: the agent side as Streamable HTTP at `/mcp`, one
 * SDK server transport (and one upstream connection, one McpProxy) per MCP
 * session. A web-standard fetch handler: the platform binds the socket.
 *
 * Guards before any MCP handling: the bearer token (as for `warrant serve`,
 * constant-time), and the Origin and Host headers against DNS rebinding (a
 * browser page on another site must not drive a local proxy): an Origin must
 * be loopback or listed in `mcp.allowed_origins`; when bound to loopback the
 * Host must name a loopback address.
 */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Logger } from "../app/ports/system.ts";
import { bearerChecker } from "./http/guards.ts";
import { McpProxy } from "./mcp-proxy.ts";
import type { McpProxyOptions } from "./mcp-proxy.ts";

export interface McpHttpFaceOptions {
  connectUpstream: () => Transport;
  proxy: McpProxyOptions;
  logger: Logger;
  /** Bearer token clients must send; null: none required. */
  token: string | null;
  /** Origins allowed besides loopback ones (exact "scheme://host[:port]"). */
  allowedOrigins: string[];
  /** True when bound to a loopback address: the Host header must be loopback too. */
  loopbackOnly: boolean;
  /** Called with each new session's proxy (e.g. to run `warrant resume` requests through it). */
  onSession?: (proxy: McpProxy) => void;
}

interface Live {
  transport: WebStandardStreamableHTTPServerTransport;
  proxy: McpProxy;
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

function jsonError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The Streamable HTTP face: `fetch` serves `/mcp`; `close` ends every session. */
export class McpHttpFace {
  private readonly sessions = new Map<string, Live>();
  private readonly authorized: ((h: string | null) => boolean) | null;

  constructor(private readonly o: McpHttpFaceOptions) {
    this.authorized = o.token ? bearerChecker(o.token) : null;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Any live session's proxy (the newest), for work that needs one. */
  newest(): McpProxy | null {
    let last: McpProxy | null = null;
    for (const s of this.sessions.values()) last = s.proxy;
    return last;
  }

  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== "/mcp") {
      return jsonError(404, -32600, "not found: the MCP endpoint is /mcp");
    }
    const refused = this.guard(req);
    if (refused) return refused;
    const sid = req.headers.get("mcp-session-id");
    if (sid) {
      const live = this.sessions.get(sid);
      if (!live) return jsonError(404, -32001, "session not found; initialize a new session");
      return await live.transport.handleRequest(req);
    }
    if (req.method !== "POST") {
      return jsonError(400, -32000, "bad request: no mcp-session-id; POST initialize first");
    }
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return jsonError(400, -32700, "parse error: the body is not JSON");
    }
    const isInit = (m: unknown) => (m as { method?: unknown })?.method === "initialize";
    if (!(Array.isArray(body) ? body.some(isInit) : isInit(body))) {
      return jsonError(400, -32000, "bad request: no mcp-session-id; POST initialize first");
    }
    return await this.open(req, body);
  }

  /** Close every session (their upstreams too). */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(all.map(async (s) => {
      await s.proxy.drain();
      await s.proxy.close();
    }));
  }

  private async open(req: Request, body: unknown): Promise<Response> {
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => void this.sessions.set(id, live),
      keepAliveMs: 15_000,
    });
    const proxy = new McpProxy(transport, this.o.connectUpstream(), this.o.proxy);
    const live: Live = { transport, proxy };
    const end = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
      void proxy.drain().then(() => proxy.close());
    };
    proxy.onClientGone = end;
    proxy.onUpstreamGone = () => {
      this.o.logger.log("error", "the upstream MCP server of a session exited", {
        session: transport.sessionId,
      });
      // Answers in flight go out first; then the session ends (the client sees 404 and re-initializes).
      void proxy.drain().then(() => transport.close());
    };
    try {
      await proxy.start();
    } catch (e) {
      await proxy.close();
      return jsonError(502, -32000, `cannot start the upstream MCP server: ${String(e)}`);
    }
    this.o.onSession?.(proxy);
    return await transport.handleRequest(req, { parsedBody: body });
  }

  private guard(req: Request): Response | null {
    const origin = req.headers.get("origin");
    if (origin !== null && !this.originAllowed(origin)) {
      return jsonError(
        403,
        -32000,
        `forbidden: Origin ${origin} is not allowed (mcp.allowed_origins)`,
      );
    }
    const host = req.headers.get("host") ?? "";
    if (this.o.loopbackOnly && !LOOPBACK_HOST.test(host)) {
      return jsonError(403, -32000, `forbidden: Host ${host} is not a loopback name`);
    }
    if (this.authorized && !this.authorized(req.headers.get("authorization"))) {
      return new Response(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32001, message: "unauthorized: send Authorization: Bearer TOKEN" },
          id: null,
        }),
        {
          status: 401,
          headers: { "content-type": "application/json", "www-authenticate": "Bearer" },
        },
      );
    }
    return null;
  }

  private originAllowed(origin: string): boolean {
    if (this.o.allowedOrigins.includes(origin)) return true;
    try {
      const u = new URL(origin);
      return (u.protocol === "http:" || u.protocol === "https:") &&
        LOOPBACK_HOST.test(u.host);
    } catch {
      return false;
    }
  }
}
