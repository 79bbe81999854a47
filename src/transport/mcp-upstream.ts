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
    via: `mcp stdio: ${redactArgv(argv).join(" ")}`.slice(0, 1000),
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

const SECRET_FLAG = /(token|secret|passw(or)?d|api[-_]?key|auth|credential|bearer)/i;

/**
 * The upstream's argv as recorded in every action's `via` (and so in the
 * audit log, which never holds secrets in clear): the value of a flag whose
 * name suggests a secret (`--api-key X`, `--token=X`) becomes `***`, and a
 * URL loses its credentials and query.
 *
 * @example redactArgv(["srv", "--token", "abc", "https://u:p@h/x?k=1"]) // → ["srv", "--token", "***", "https://h/x"]
 */
export function redactArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    if (a.startsWith("-") && eq > 0 && SECRET_FLAG.test(a.slice(0, eq))) {
      out.push(`${a.slice(0, eq)}=***`);
    } else if (a.startsWith("-") && eq < 0 && SECRET_FLAG.test(a) && i + 1 < argv.length) {
      out.push(a, "***");
      i++;
    } else out.push(redactUrl(a));
  }
  return out;
}

function redactUrl(a: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) return a;
  try {
    const u = new URL(a);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return a;
  }
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
