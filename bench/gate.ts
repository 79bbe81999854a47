/**
 * Gate round-trip benchmark: warrant's stdio gate against the no-op echo gate
 * (bench/echo-gate.ts, compiled too, so both sides are native binaries).
 *
 * For an allowed tool with a trivial body it measures `govern` → `run_tool`
 * → `completed` round trips with 1 (sequential), 8 and 32 concurrent callers
 * (calls/s, p50, p99, warrant/echo ratios), and the time from spawn to
 * `ready` (median of N spawns). Prints markdown to stdout.
 *
 *   bun bench/gate.ts [--binary dist/warrant] [--config warrant.json]
 *   (BENCH_SYNCHRONOUS=normal measures the store without an fsync per commit)
 *                     [--echo bench/out/echo-gate] [--calls 10000] [--spawns 20]
 *
 * Without --config a temp workspace is created with a policy allowing tool
 * "echo". It uses `policy.allow_unsigned: true` (development mode): signature
 * verification runs once at start-up, so this changes no round-trip number,
 * and start-up time omits one ed25519 verification.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GateClient } from "../src/client/gate-client.ts";
import { formatKeyFile } from "../src/core/keys.ts";
import { Checkpointer } from "../src/app/checkpoints.ts";
import { getPublicKey } from "../src/core/ed25519.ts";
import { bunSqlite } from "../src/platform/bun.ts";
import { witnessDir } from "../src/platform/witness-dir.ts";
import { openStore } from "../src/store/sqlite-store.ts";
import { fmt, markdownTable, median, ratio, summarize } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dir, "..");

interface Options {
  binary: string;
  config: string | undefined;
  echo: string;
  calls: number;
  spawns: number;
  warmup: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    binary: join(ROOT, "dist/warrant"),
    config: undefined,
    echo: join(ROOT, "bench/out/echo-gate"),
    calls: 10_000,
    spawns: 20,
    warmup: 300,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    switch (flag) {
      case "--binary":
        o.binary = resolve(value);
        break;
      case "--config":
        o.config = resolve(value);
        break;
      case "--echo":
        o.echo = resolve(value);
        break;
      case "--calls":
        o.calls = positive(flag, value);
        break;
      case "--spawns":
        o.spawns = positive(flag, value);
        break;
      case "--warmup":
        o.warmup = positive(flag, value);
        break;
      default:
        usage(`unknown option ${flag}`);
    }
  }
  return o;
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usage(`${flag} must be a positive integer, got ${v}`);
  return n;
}

function usage(problem: string): never {
  console.error(`bench/gate.ts: ${problem}
usage: bun bench/gate.ts [--binary PATH] [--config PATH] [--echo PATH] [--calls N] [--spawns N] [--warmup N]
example: bun bench/gate.ts --binary bench/out/echo-gate   (echo vs echo)`);
  process.exit(2);
}

/** Compiles bench/echo-gate.ts into `out` unless it is newer than its sources. */
function ensureEchoBinary(out: string): void {
  const sources = [join(ROOT, "bench/echo-gate.ts"), join(ROOT, "src/protocol/ndjson.ts")];
  if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) return;
  mkdirSync(resolve(out, ".."), { recursive: true });
  console.error(`bench: compiling ${out}`);
  const r = spawnSync(
    process.execPath,
    ["build", "--compile", "--minify", join(ROOT, "bench/echo-gate.ts"), "--outfile", out],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (r.status !== 0) throw new Error(`bun build --compile of the echo gate failed (${r.status})`);
}

/**
 * A temp workspace whose policy allows tool "echo" (unsigned, development
 * mode). With `checkpoints`, the config has an `audit` block: signed
 * checkpoints to a witness folder every checkpoint_interval_ms (1000).
 */
function makeBenchWorkspace(checkpoints = false): { configPath: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "warrant-bench-"));
  mkdirSync(join(dir, "policies"));
  if (checkpoints) {
    mkdirSync(join(dir, "keys"));
    writeFileSync(
      join(dir, "keys/witness.key"),
      formatKeyFile("witness", crypto.getRandomValues(new Uint8Array(32))),
      { mode: 0o600 },
    );
  }
  writeFileSync(
    join(dir, "policies/bench.policy.json"),
    JSON.stringify(
      {
        policy: "bench",
        version: 1,
        default: "deny",
        approvers: {},
        rules: [{ id: "echo", tool: "echo", effect: "allow" }],
      },
      null,
      2,
    ),
  );
  const configPath = join(dir, "warrant.json");
  writeFileSync(
    configPath,
    JSON.stringify(
      {
        project: "bench",
        store: {
          path: ".warrant/warrant.db",
          synchronous: process.env.BENCH_SYNCHRONOUS ?? "full",
        },
        policy: { file: "policies/bench.policy.json", allow_unsigned: true },
        ...(checkpoints
          ? { audit: { checkpoint_key: "keys/witness.key", witness: "witness" } }
          : {}),
      },
      null,
      2,
    ),
  );
  return { configPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const gateArgv = (
  binary: string,
  config: string,
) => [binary, "runtime", "gate", "--config", config];

/** Median / spread of spawn → ready over `n` fresh processes (each closed after). */
async function measureStartup(argv: string[], n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const gate = await GateClient.spawn(argv);
    samples.push(performance.now() - t0);
    await gate.close();
  }
  return samples;
}

interface RunResult {
  callsPerSec: number;
  latencies: number[];
}

/** `total` governs spread over `callers` concurrent loops on one session. */
async function measureRoundTrips(
  gate: GateClient,
  callers: number,
  total: number,
): Promise<RunResult> {
  const latencies: number[] = [];
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      const n = issued++;
      const t0 = performance.now();
      const r = await gate.govern("echo", { n });
      latencies.push(performance.now() - t0);
      if (r.phase !== "completed") {
        throw new Error(`govern echo was ${r.phase}: ${JSON.stringify(r)}`);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: callers }, worker));
  const wall = performance.now() - t0;
  return { callsPerSec: (total / wall) * 1000, latencies };
}

const CALLERS = [1, 8, 32];

async function benchSide(argv: string[], o: Options) {
  const startup = await measureStartup(argv, o.spawns);
  const gate = await GateClient.spawn(argv);
  try {
    await gate.registerTool("echo", ({ args }) => args);
    await measureRoundTrips(gate, 8, o.warmup);
    const runs: RunResult[] = [];
    for (const c of CALLERS) runs.push(await measureRoundTrips(gate, c, o.calls));
    return { startup, runs };
  } finally {
    await gate.close();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  ensureEchoBinary(o.echo);
  if (!existsSync(o.binary)) {
    usage(`${o.binary} does not exist (run scripts/build, or pass --binary)`);
  }
  const ws = o.config ? undefined : makeBenchWorkspace();
  const config = o.config ?? ws!.configPath;
  try {
    const warrant = await benchSide(gateArgv(o.binary, config), o);
    const echo = await benchSide(gateArgv(o.echo, config), o);

    const rows = CALLERS.map((c, i) => {
      const w = warrant.runs[i]!;
      const e = echo.runs[i]!;
      const ws = summarize(w.latencies);
      const es = summarize(e.latencies);
      return [
        c === 1 ? "1 (sequential)" : String(c),
        fmt(w.callsPerSec),
        fmt(ws.p50),
        fmt(ws.p99),
        fmt(e.callsPerSec),
        fmt(es.p50),
        fmt(es.p99),
        ratio(w.callsPerSec, e.callsPerSec),
        ratio(ws.p50, es.p50),
      ];
    });
    const ws = summarize(warrant.startup);
    const es = summarize(echo.startup);
    console.log(`## Gate: govern round trip (allowed tool, trivial body)

warrant: \`${o.binary}\` · echo floor: \`${o.echo}\` · ${o.calls} calls per row after ${o.warmup} warm-up calls; latencies in ms.

${
      markdownTable(
        [
          "callers",
          "warrant calls/s",
          "warrant p50",
          "warrant p99",
          "echo calls/s",
          "echo p50",
          "echo p99",
          "calls/s w/e",
          "p50 w/e",
        ],
        rows,
      )
    }

## Gate: spawn → ready (${o.spawns} spawns)

${
      markdownTable(["gate", "median ms", "p90 ms", "min ms", "max ms"], [
        ["warrant", fmt(median(warrant.startup)), fmt(ws.p90), fmt(ws.min), fmt(ws.max)],
        ["echo", fmt(median(echo.startup)), fmt(es.p90), fmt(es.min), fmt(es.max)],
        ["warrant / echo", ratio(median(warrant.startup), median(echo.startup)), "", "", ""],
      ])
    }
${o.config ? "" : "\nPolicy: unsigned (`allow_unsigned: true`), one allow rule for `echo`.\n"}`);
    if (!o.config) console.log(await checkpointsOnOff(o));
  } finally {
    ws?.cleanup();
  }
}

/**
 * The same round trips with signed checkpoints on (config `audit`, a
 * witness folder, 1 s interval) and off, alternated off/on/on/off so that
 * drift on a shared machine falls on both sides; calls/s averaged per side.
 */
async function checkpointsOnOff(o: Options): Promise<string> {
  const off = makeBenchWorkspace(false);
  const on = makeBenchWorkspace(true);
  try {
    const sides = { off: [] as RunResult[][], on: [] as RunResult[][] };
    for (const which of ["off", "on", "on", "off"] as const) {
      const cfg = which === "on" ? on.configPath : off.configPath;
      const r = await benchSide(gateArgv(o.binary, cfg), { ...o, spawns: 1 });
      sides[which].push(r.runs);
    }
    const avg = (runs: RunResult[][], i: number) =>
      runs.reduce((a, r) => a + r[i]!.callsPerSec, 0) / runs.length;
    const p50 = (runs: RunResult[][], i: number) => median(runs.flatMap((r) => r[i]!.latencies));
    const rows = CALLERS.map((c, i) => [
      c === 1 ? "1 (sequential)" : String(c),
      fmt(avg(sides.off, i)),
      fmt(avg(sides.on, i)),
      ratio(avg(sides.off, i), avg(sides.on, i)),
      fmt(p50(sides.off, i)),
      fmt(p50(sides.on, i)),
      ratio(p50(sides.on, i), p50(sides.off, i)),
    ]);
    const tick = measureTick(50);
    return `## Gate: signed checkpoints on vs off

Checkpoints to a witness folder every 1000 ms (config \`audit\`), alternated off/on/on/off, ${o.calls} calls per row each time.

${
      markdownTable([
        "callers",
        "off calls/s",
        "on calls/s",
        "slowdown (off/on calls/s)",
        "off p50 ms",
        "on p50 ms",
        "p50 on/off",
      ], rows)
    }

One checkpoint (read the head, sign, append and fsync the witness line), measured alone: median
${fmt(median(tick))} ms, p90 ${fmt(summarize(tick).p90)} ms over ${tick.length} — at the default
1000 ms interval that is at most ${
      fmt(median(tick) / 10)
    }% of one core, off the decision path (a timer between turns).
`;
  } finally {
    off.cleanup();
    on.cleanup();
  }
}

/** Time `n` checkpoints on a real store and witness folder, the head moving before each. */
function measureTick(n: number): number[] {
  const dir = mkdtempSync(join(tmpdir(), "warrant-bench-tick-"));
  const store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  try {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const cp = new Checkpointer({
      store,
      witness: witnessDir(join(dir, "witness")),
      secret: seed,
      publicKey: getPublicKey(seed),
      clock: { now: () => Date.now() },
    });
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      store.tx((tx) => tx.appendEvent({ type: "bench.tick", at: Date.now(), payload: { i } }));
      const t0 = performance.now();
      cp.tick();
      out.push(performance.now() - t0);
    }
    return out;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
