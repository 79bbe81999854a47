/**
 * MCP proxy overhead: the same SDK Client calls `tools/call echo` on the
 * reference "everything" server directly (stdio) and through
 * `dist/warrant mcp` (stdio, allow policy, default durable store), in one
 * run, alternating blocks so drift hits both alike. Round trips are
 * sequential (one call in flight), after a warm-up; a second measurement
 * keeps 16 calls in flight for throughput. Every call through warrant is a
 * full governed action (decision + outcome committed, fsync'd) before the
 * agent sees the result.
 *
 *   bun bench/mcp.ts [--binary dist/warrant] [--calls 1000] [--concurrent 16]
 *
 * Writes bench/out/mcp.json and prints a markdown table with the ratio.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { machineInfo } from "./lib/machine.ts";
import { fmt, markdownTable, ratio, summarize } from "./lib/stats.ts";
import type { Summary } from "./lib/stats.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] ?? fallback : fallback;
}
const ROOT = resolve(import.meta.dir, "..");
const BINARY = resolve(arg("binary", join(ROOT, "dist/warrant")));
const CALLS = Number(arg("calls", "1000"));
const CONCURRENT = Number(arg("concurrent", "16"));
const BLOCKS = 5;
const NODE = Bun.which("node") ?? process.execPath;
const EVERYTHING = [
  NODE,
  join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
  "stdio",
];

async function connect(argv: string[], cwd: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(
    new StdioClientTransport({
      command: argv[0]!,
      args: argv.slice(1),
      cwd,
      env: process.env as Record<string, string>,
      stderr: "ignore",
    }),
  );
  return client;
}

const call = (c: Client, i: number) =>
  c.callTool({ name: "echo", arguments: { message: `m${i}` } }).then((r) => {
    if (r.isError) throw new Error(`echo failed: ${JSON.stringify(r)}`);
  });

async function roundTrips(c: Client, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(c, i);
    into.push(performance.now() - t0);
  }
}

/** Calls per second with `inFlight` calls outstanding at all times. */
async function throughput(c: Client, n: number, inFlight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await call(c, next++);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

function workspace(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "warrant-bench-mcp-"));
  mkdirSync(join(dir, "policies"));
  writeFileSync(
    join(dir, "policies/mcp.policy.json"),
    JSON.stringify({
      policy: "bench-mcp",
      version: 1,
      default: "deny",
      rules: [{ id: "echo", tool: "echo", effect: "allow" }],
    }),
  );
  const config = join(dir, "warrant.json");
  writeFileSync(
    config,
    JSON.stringify({
      project: "bench",
      store: { path: ".warrant/warrant.db" },
      policy: { file: "policies/mcp.policy.json", allow_unsigned: true },
    }),
  );
  return { dir, config };
}

async function main(): Promise<void> {
  const ws = workspace();
  const direct = await connect(EVERYTHING, ws.dir);
  const through = await connect(
    [BINARY, "mcp", "--config", ws.config, "--", ...EVERYTHING],
    ws.dir,
  );
  const samples = { direct: [] as number[], through: [] as number[] };
  try {
    await roundTrips(direct, 50, []);
    await roundTrips(through, 50, []);
    const per = Math.ceil(CALLS / BLOCKS);
    for (let b = 0; b < BLOCKS; b++) {
      await roundTrips(direct, per, samples.direct);
      await roundTrips(through, per, samples.through);
      console.error(`mcp: block ${b + 1}/${BLOCKS}`);
    }
    const tput = {
      direct: await throughput(direct, CALLS, CONCURRENT),
      through: await throughput(through, CALLS, CONCURRENT),
    };
    const d = summarize(samples.direct);
    const w = summarize(samples.through);
    mkdirSync(join(ROOT, "bench/out"), { recursive: true });
    writeFileSync(
      join(ROOT, "bench/out/mcp.json"),
      JSON.stringify(
        { machine: machineInfo(), binary: BINARY, calls: CALLS, direct: d, through: w, tput },
        null,
        2,
      ),
    );
    const row = (name: string, s: Summary, t: number) => [
      name,
      fmt(s.p50),
      fmt(s.p90),
      fmt(s.p99),
      fmt(s.mean),
      Math.round(t).toLocaleString("en-US"),
    ];
    console.log(`## MCP proxy: tools/call round trip, direct vs through warrant mcp

The SDK \`Client\` calls \`echo\` on the reference "everything" MCP server
(\`${NODE.split("/").pop()}\`, stdio) directly, and through \`${
      BINARY.replace(`${ROOT}/`, "")
    } mcp\` (allow rule, durable SQLite store: each call is a recorded, fsync'd action
before its result is returned). ${samples.direct.length} sequential calls each, alternating blocks;
throughput with ${CONCURRENT} calls in flight. Times in ms.

${
      markdownTable(["path", "p50", "p90", "p99", "mean", `calls/s (${CONCURRENT} in flight)`], [
        row("direct", d, tput.direct),
        row("through warrant mcp", w, tput.through),
      ])
    }

Ratio through/direct: p50 ${ratio(w.p50, d.p50)}, p99 ${
      ratio(w.p99, d.p99)
    }; added per call (p50) ${fmt(w.p50 - d.p50)} ms; throughput ${
      ratio(tput.through, tput.direct)
    } of direct.
`);
  } finally {
    await direct.close();
    await through.close();
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

await main();
