/**
 * The MCP proxy, assembled (`warrant mcp --config C [--listen HOST:PORT]
 * (-- COMMAND [ARGS…] | --url URL)`): an MCP server for the agent's MCP client that relays to the upstream MCP
 * server and governs its `tools/call` with the gate service. Start-up order
 * is the gate's: config → store → reconcile → policy → session → upstream.
 * Exit 0 when the client goes away, 1 when the upstream does (after the
 * client has been told) or start-up fails.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { toWarrantError, WarrantError } from "../core/errors.ts";
import { McpProxy } from "../transport/mcp-proxy.ts";
import type { McpProxyOptions } from "../transport/mcp-proxy.ts";
import { httpUpstream, stdioUpstream, upstreamEnv } from "../transport/mcp-upstream.ts";
import type { Upstream } from "../transport/mcp-upstream.ts";
import { startGateSession } from "./gate-session.ts";
import type { GateSession } from "./gate-session.ts";
import { EXIT } from "../cli/io.ts";
import { serveMcpHttp } from "./mcp-listen.ts";
import type { RuntimeEnv } from "./open.ts";
import { openFace } from "./open.ts";
import type { Platform } from "../app/ports/platform.ts";
import type { McpTarget, ProcessIO } from "../app/ports/runtime.ts";

/**
 * `warrant mcp`: open `configPath` as a face and serve the MCP proxy (see
 * serveMcp). Returns the exit code; prints why when it cannot start.
 */
export async function runMcp(
  platform: Platform,
  configPath: string,
  target: McpTarget,
  io: ProcessIO,
): Promise<number> {
  const env = openFace(platform, "mcp", configPath, io);
  if (!env) return EXIT.error;
  return await serveMcp(platform, env, io, target);
}

/**
 * Run `warrant mcp` for an opened runtime: the upstream is `command` (stdio)
 * or `url` (Streamable HTTP); the agent side is stdio, or Streamable HTTP
 * when `listen` is given. Returns the exit code; prints why on stderr when
 * it cannot start (the runtime is closed then).
 */
export async function serveMcp(
  platform: Platform,
  env: RuntimeEnv,
  io: ProcessIO,
  target: { command: string[]; url?: string; listen?: string },
): Promise<number> {
  let upstream: Upstream;
  try {
    upstream = target.url !== undefined
      ? httpUpstream(target.url, upstreamToken(env, io))
      : stdioUpstream(
        target.command,
        upstreamEnv(io.env, [
          env.config.store.encryption_key_env,
          env.config.http.token_env,
          env.config.mcp.upstream_token_env,
        ]),
        io.cwd,
      );
  } catch (e) {
    io.err(`warrant: mcp not started: ${toWarrantError(e).message}`);
    await env.close();
    return EXIT.error;
  }
  let session: GateSession;
  try {
    session = startGateSession(env);
  } catch (e) {
    const err = toWarrantError(e);
    io.err(`warrant: mcp not started: ${err.message} [${err.code}]`);
    await env.close();
    return EXIT.error;
  }
  if (target.listen === undefined) return await serveMcpStdio(platform, env, session, upstream, io);
  try {
    return await serveMcpHttp(
      platform,
      env,
      session,
      upstream,
      target.listen,
      io,
      proxyOptions(env, session, upstream),
    );
  } catch (e) {
    const err = toWarrantError(e);
    io.err(`warrant: mcp not started: ${err.message} [${err.code}]`);
    await session.stop();
    return EXIT.error;
  }
}

function upstreamToken(env: RuntimeEnv, io: ProcessIO): string | null {
  const name = env.config.mcp.upstream_token_env;
  if (!name) return null;
  const token = io.env[name] ?? "";
  if (token === "") {
    throw new WarrantError(
      "config_invalid",
      `mcp.upstream_token_env names ${name} but it is not set; export it with the upstream's bearer token`,
    );
  }
  return token;
}

/** What every proxied MCP session shares: the gate service, the policy, the config's mcp block. */
export function proxyOptions(
  env: RuntimeEnv,
  session: GateSession,
  upstream: Upstream,
): McpProxyOptions {
  const mcp = env.config.mcp;
  return {
    service: session.service,
    logger: env.logger,
    policy: () => env.policy!.current,
    via: upstream.via,
    toolPrefix: mcp.tool_prefix,
    hideDenied: mcp.hide_denied,
    holdWaitMs: mcp.hold_wait_ms,
    toolTimeoutMs: env.config.gate.tool_exec_timeout_ms,
    hint: { configPath: env.config.file },
  };
}

async function serveMcpStdio(
  platform: Platform,
  env: RuntimeEnv,
  session: GateSession,
  upstream: Upstream,
  io: ProcessIO,
): Promise<number> {
  const client = new StdioServerTransport(process.stdin, process.stdout);
  const proxy = new McpProxy(client, upstream.connect(), proxyOptions(env, session, upstream));
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let stopping: Promise<void> | null = null;
  const stop = (code: number, why: string) => {
    stopping ??= (async () => {
      env.logger.log("info", "mcp proxy stopping", { reason: why });
      session.service.stopWaiting();
      // Calls in flight get their answer (and their outcome is recorded) first.
      await Promise.race([proxy.drain(), new Promise((r) => setTimeout(r, 5000))]);
      await proxy.close();
      await proxy.drain();
      await session.stop();
      finish(code);
    })();
  };
  proxy.onUpstreamGone = () => {
    env.logger.log("error", "the upstream MCP server exited", { upstream: upstream.via });
    stop(EXIT.error, "upstream exited");
  };
  try {
    await proxy.start();
  } catch (e) {
    io.err(`warrant: mcp not started: cannot start the upstream (${upstream.via}): ${String(e)}`);
    await proxy.close();
    await session.stop();
    return EXIT.error;
  }
  session.runRequests = { runner: proxy.detached, scope: proxy.scope };
  const onTerm = () => stop(EXIT.ok, "signal");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onTerm);
  process.stdin.on("end", () => stop(EXIT.ok, "stdin closed"));
  env.logger.log("info", "mcp proxy ready", { upstream: upstream.via, session: session.id });
  platform.steadyState();
  const code = await done;
  process.off("SIGTERM", onTerm);
  process.off("SIGINT", onTerm);
  process.stdin.pause();
  return code;
}
