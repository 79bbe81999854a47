/**
 * `warrant mcp --listen HOST:PORT`: serve the agent side of the MCP proxy
 * over Streamable HTTP at /mcp until SIGTERM/SIGINT. Prints
 * {"t":...,"level":"info","msg":"listening","url":...} on stderr once bound, like `warrant serve`.
 */
import { WarrantError } from "../core/errors.ts";
import type { Platform } from "../app/ports/platform.ts";
import { McpHttpFace } from "../transport/mcp-http-face.ts";
import type { McpProxyOptions } from "../transport/mcp-proxy.ts";
import type { Upstream } from "../transport/mcp-upstream.ts";
import type { GateSession } from "./gate-session.ts";
import { EXIT } from "../cli/io.ts";
import type { ProcessIO } from "../app/ports/runtime.ts";
import type { RuntimeEnv } from "./open.ts";
import { parseListen } from "./http.ts";

const isLoopback = (h: string) =>
  h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);

/** Serve until a signal; returns the exit code. Bind errors exit 1 with the reason. */
export async function serveMcpHttp(
  platform: Platform,
  env: RuntimeEnv,
  session: GateSession,
  upstream: Upstream,
  listen: string,
  io: ProcessIO,
  proxy: McpProxyOptions,
): Promise<number> {
  const { hostname, port } = parseListen(listen);
  let token: string | null = null;
  const tokenEnv = env.config.http.token_env;
  if (tokenEnv) {
    token = io.env[tokenEnv] ?? "";
    if (token === "") {
      throw new WarrantError(
        "config_invalid",
        `http.token_env names ${tokenEnv} but it is not set; export it with the bearer token MCP clients will send`,
      );
    }
  } else if (!isLoopback(hostname)) {
    env.logger.log("warn", "serving MCP on a non-loopback address without a bearer token", {
      listen,
      fix: "set http.token_env in the config and export that variable",
    });
  }
  const face = new McpHttpFace({
    connectUpstream: () => upstream.connect(),
    proxy,
    logger: env.logger,
    token,
    allowedOrigins: env.config.mcp.allowed_origins,
    loopbackOnly: isLoopback(hostname),
    onSession: (p) => (session.runRequests = { runner: p.detached, scope: p.scope }),
  });
  let server;
  try {
    server = platform.serveHttp((req) => face.fetch(req), {
      hostname,
      port,
      maxRequestBodySize: 4 * 1024 * 1024,
      idleTimeoutSec: 60,
    });
  } catch (e) {
    await session.stop();
    io.err(`warrant: mcp not started: cannot listen on ${listen}: ${(e as Error).message}`);
    return EXIT.error;
  }
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  io.err(JSON.stringify({
    t: new Date().toISOString(),
    level: "info",
    msg: "listening",
    url: `http://${host}:${server.port}/mcp`,
  }));
  platform.steadyState();
  env.logger.log("info", "mcp proxy ready", { upstream: upstream.via, session: session.id });
  await new Promise<void>((resolve) => {
    const onTerm = () => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onTerm);
      resolve();
    };
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onTerm);
  });
  env.logger.log("info", "mcp proxy stopping", { reason: "signal" });
  session.service.stopWaiting();
  await face.close();
  await server.stop(true);
  await session.stop();
  return EXIT.ok;
}
