/**
 * Helpers for the MCP proxy's end-to-end tests: real MCP servers installed
 * from npm (the reference "everything" and "filesystem" servers, run with
 * node, or bun when node is absent), the official SDK `Client` as the agent,
 * and `dist/warrant mcp` between them.
 *
 *   const agent = await connectThroughWarrant(ws.configPath, filesystemServer(dir));
 *   const r = await agent.client.callTool({ name: "read_text_file", arguments: { path } });
 *   await agent.close();
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { ensureBinary, ROOT } from "./harness.ts";

/** The JavaScript runtime that runs the npm servers: node when installed, else this bun. */
export const JS_RUNTIME: string = Bun.which("node") ?? process.execPath;

const pkg = (name: string) =>
  join(ROOT, "node_modules/@modelcontextprotocol", name, "dist/index.js");

/** argv of the reference "everything" server over stdio. */
export function everythingServer(): string[] {
  return [JS_RUNTIME, pkg("server-everything"), "stdio"];
}

/** argv of the reference "filesystem" server, allowed to touch `dir` only. */
export function filesystemServer(dir: string): string[] {
  return [JS_RUNTIME, pkg("server-filesystem"), dir];
}

/** What the agent's client may do: every client capability, so the upstream can call back. */
export const CLIENT_CAPABILITIES = {
  capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
};

/** A connected SDK Client and the transport's child process. */
export interface Agent {
  client: Client;
  /** Pid of the spawned process (warrant, or the upstream itself when direct). */
  pid: number | null;
  stderr: () => string;
  close(): Promise<void>;
}

/** Spawn `argv` as an MCP server over stdio and connect an SDK Client to it. */
export async function connectStdio(
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string>; setup?: (c: Client) => void } = {},
): Promise<Agent> {
  const transport = new StdioClientTransport({
    command: argv[0]!,
    args: argv.slice(1),
    cwd: opts.cwd,
    env: { ...(process.env as Record<string, string>), ...opts.env },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const client = new Client({ name: "e2e-agent", version: "1.0.0" }, CLIENT_CAPABILITIES);
  opts.setup?.(client);
  await client.connect(transport);
  return {
    client,
    pid: transport.pid,
    stderr: () => err,
    close: () => client.close(),
  };
}

/** A spawned warrant with an SDK Client on its stdio, and its exit code. */
export interface WarrantAgent extends Agent {
  pid: number;
  exited: Promise<number>;
}

/**
 * `dist/warrant mcp --config configPath -- upstream…` (or `--url opts.url`), with an SDK Client as
 * the agent over the child's stdin/stdout (the SDK's own line framing), so
 * the test also sees warrant's exit code.
 */
export async function connectThroughWarrant(
  configPath: string,
  upstream: string[],
  opts: { env?: Record<string, string>; setup?: (c: Client) => void; url?: string } = {},
): Promise<WarrantAgent> {
  const bin = await ensureBinary();
  const target = opts.url !== undefined ? ["--url", opts.url] : ["--", ...upstream];
  const child = Bun.spawn([bin, "mcp", "--config", configPath, ...target], {
    cwd: join(configPath, ".."),
    env: { ...process.env, ...opts.env },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  let err = "";
  void (async () => {
    for await (const c of child.stderr) err += new TextDecoder().decode(c);
  })();
  const transport: Transport = {
    async start() {
      const buf = new ReadBuffer();
      void (async () => {
        for await (const chunk of child.stdout) {
          buf.append(Buffer.from(chunk));
          for (let m = buf.readMessage(); m; m = buf.readMessage()) transport.onmessage?.(m);
        }
        transport.onclose?.();
      })();
    },
    async send(m: JSONRPCMessage) {
      child.stdin.write(serializeMessage(m));
      await child.stdin.flush();
    },
    async close() {
      try {
        await child.stdin.end();
      } catch { /* already gone */ }
    },
  };
  const client = new Client({ name: "e2e-agent", version: "1.0.0" }, CLIENT_CAPABILITIES);
  opts.setup?.(client);
  try {
    await client.connect(transport);
  } catch (e) {
    child.kill();
    throw new Error(`cannot connect through warrant mcp: ${String(e)}\n${err}`);
  }
  return {
    client,
    pid: child.pid,
    stderr: () => err,
    exited: child.exited,
    close: async () => {
      await client.close();
      await child.exited;
    },
  };
}

/** Connect an SDK Client over Streamable HTTP to `url`. */
export async function connectHttp(
  url: string,
  opts: { token?: string; setup?: (c: Client) => void } = {},
): Promise<Agent> {
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    opts.token ? { requestInit: { headers: { authorization: `Bearer ${opts.token}` } } } : {},
  );
  const client = new Client({ name: "e2e-agent", version: "1.0.0" }, CLIENT_CAPABILITIES);
  opts.setup?.(client);
  await client.connect(transport);
  return { client, pid: null, stderr: () => "", close: () => client.close() };
}

/** Pids of the direct children of `pid` (to kill an upstream warrant spawned). */
export function childrenOf(pid: number): number[] {
  const r = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" });
  return r.stdout.split("\n").map((s) => Number(s.trim())).filter((n) => n > 0);
}

/** The text of a tool result's text content, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? "").join("\n");
}

/** Wait until `check` returns a truthy value (polling), or throw after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A background process and the URL it printed as listening. */
export interface Listening {
  url: string;
  child: ReturnType<typeof Bun.spawn>;
  stderr: () => string;
  stop(): Promise<number>;
}

/**
 * Spawn `argv` and wait until its stderr matches `re` (first group = the
 * URL). Throws with the stderr when it exits first or `timeoutMs` passes.
 */
export async function spawnListening(
  argv: string[],
  re: RegExp,
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Listening> {
  const child = Bun.spawn(argv, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let err = "";
  void (async () => {
    for await (const c of child.stderr as ReadableStream<Uint8Array>) {
      err += new TextDecoder().decode(c);
    }
  })();
  const stop = async () => {
    child.kill("SIGTERM");
    return await child.exited;
  };
  try {
    const url = await eventually(
      () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
        return re.exec(err)?.[1] ?? null;
      },
      `${argv.join(" ")} to listen`,
      opts.timeoutMs ?? 20_000,
    );
    return { url: url!, child, stderr: () => err, stop };
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${String(e)}\n${err}`);
  }
}

/** `warrant mcp --config C --listen 127.0.0.1:0 …` until it prints its /mcp URL. */
export async function warrantListening(
  configPath: string,
  upstream: string[],
  opts: { env?: Record<string, string> } = {},
): Promise<Listening> {
  const bin = await ensureBinary();
  return spawnListening(
    [bin, "mcp", "--config", configPath, "--listen", "127.0.0.1:0", ...upstream],
    /"msg":"listening","url":"([^"]+)"/,
    { cwd: join(configPath, ".."), ...opts },
  );
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort(): number {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = s.port!;
  s.stop(true);
  return port;
}
