/**
 * The upstream side of the MCP proxy: the MCP server warrant governs, as a
 * child process over stdio or a Streamable HTTP endpoint, through the
 * official SDK's client transports. `via` is what every action records as
 * its face (`warrant show` prints it); it never carries a secret (the URL's
 * query and credentials are left out).
 */
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

export interface Upstream {
  /** A fresh transport (the --listen face opens one per agent session). */
  connect(): Transport;
  via: string;
}

/**
 * A stdio upstream: `argv[0]` spawned with `argv.slice(1)` and `env`; its
 * stderr goes to warrant's stderr, its stdout is the protocol.
 *
 * @example stdioUpstream(["npx", "-y", "@modelcontextprotocol/server-filesystem", "/data"], env)
 */
export function stdioUpstream(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
): Upstream {
  return {
    via: `mcp stdio: ${argv.join(" ")}`.slice(0, 1000),
    connect: () =>
      new StdioClientTransport({
        command: argv[0]!,
        args: argv.slice(1),
        env,
        cwd,
        stderr: "inherit",
      }),
  };
}

/**
 * A Streamable HTTP upstream at `url`, sent `Authorization: Bearer TOKEN`
 * when a token is given. Throws TypeError on a URL that does not parse.
 */
export function httpUpstream(url: string, token: string | null): Upstream {
  const u = new URL(url);
  return {
    via: `mcp http: ${u.origin}${u.pathname}`,
    connect: () =>
      new StreamableHTTPClientTransport(
        u,
        token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {},
      ),
  };
}

/** The environment an upstream child gets: warrant's, without the secrets warrant itself holds. */
export function upstreamEnv(
  env: Record<string, string | undefined>,
  secretVars: Array<string | undefined>,
): Record<string, string> {
  const drop = new Set(secretVars.filter((v): v is string => !!v));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !drop.has(k)) out[k] = v;
  return out;
}
