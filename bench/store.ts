/**
 * Store benchmark: govern throughput and latency with 1, 4 and 8 gate
 * processes (the compiled binary) on one PostgreSQL schema against the same
 * on one SQLite file, in one run. Each gate has 4 callers in flight (so its
 * group commit has something to batch); every govern is an allowed tool
 * with a trivial body: 2 transactions (the decision with its executing
 * intent, then the outcome).
 *
 * Then where the time goes on PostgreSQL: commits per govern (from
 * pg_stat_database), the bridge's synchronous round trip (worker hop +
 * server) against the driver's own asynchronous round trip, and the same
 * statement count on SQLite.
 *
 *   WARRANT_BENCH_PG_URL=postgres://… bun bench/store.ts [--seconds 6] [--binary dist/warrant]
 * (scripts/bench store starts a throwaway cluster and sets the URL.)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { GateClient } from "../src/client/gate-client.ts";
import { pgBridge } from "../src/platform/pg-bridge.ts";
import { fmt, markdownTable, summarize } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const SECONDS = Number(opt("--seconds", "6"));
const WARMUP = Number(opt("--warmup", "3"));
const BINARY = resolve(opt("--binary", join(ROOT, "dist/warrant")));
const PG_URL = process.env.WARRANT_BENCH_PG_URL ?? process.env.WARRANT_DATABASE_URL;
const GATES = [1, 4, 8];
const cell = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
const CALLERS_PER_GATE = Number(opt("--callers", "4"));

if (!PG_URL) {
  console.error("bench/store.ts: set WARRANT_BENCH_PG_URL (scripts/bench store starts a cluster)");
  process.exit(2);
}

function workspace(store: "sqlite" | "postgres", schema: string) {
  const dir = mkdtempSync(join(tmpdir(), "warrant-bench-store-"));
  mkdirSync(join(dir, "policies"));
  writeFileSync(
    join(dir, "policies/bench.policy.json"),
    JSON.stringify({
      policy: "bench",
      version: 1,
      default: "deny",
      rules: [{ id: "echo", tool: "echo", effect: "allow" }],
    }),
  );
  const configPath = join(dir, "warrant.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      project: "bench",
      store: store === "postgres"
        ? { postgres: { schema } }
        : { path: ".warrant/warrant.db", synchronous: "full" },
      policy: { file: "policies/bench.policy.json", allow_unsigned: true },
      gate: { tool_exec_timeout_ms: 600_000 },
    }),
  );
  return { dir, configPath };
}

interface Row {
  store: string;
  gates: number;
  calls: number;
  perSec: number;
  p50: number;
  p99: number;
  /** CPU of the gate processes per govern, ms (Linux /proc; NaN elsewhere). */
  gateCpu: number;
  /** The same by thread: main, the bridge's worker (PostgreSQL only), the runtime's others. */
  threads: { main: number; worker: number; other: number };
  /** CPU of the PostgreSQL backends serving the run per govern, ms (NaN for SQLite). */
  serverCpu: number;
  /** Transactions committed per govern (pg_stat_database; NaN for SQLite). */
  commits: number;
  /** Share of samples in which a writer held the schema's lock, and writers waiting on average (NaN for SQLite). */
  lockHeld: number;
  lockWaiting: number;
}

/** utime + stime of a process, ms (USER_HZ 100), or NaN when /proc cannot tell. */
function procCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/** This process's children: the gate processes it spawned. */
function childPids(): number[] {
  try {
    return readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, "utf8").trim()
      .split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const cpuOf = (pids: number[]) => pids.reduce((n, p) => n + procCpuMs(p), 0);

/**
 * The gate processes' CPU by thread, ms: the main thread (the store code,
 * the protocol), the PostgreSQL bridge's worker thread (Bun names it
 * "Worker": the driver), and the rest (JIT compiler, GC helpers).
 */
function threadCpu(pids: number[]): { main: number; worker: number; other: number } {
  const out = { main: 0, worker: 0, other: 0 };
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")"));
        const f = raw.slice(raw.lastIndexOf(") ") + 2).split(" ");
        const ms = (Number(f[11]) + Number(f[12])) * 10;
        if (Number(tid) === pid) out.main += ms;
        else if (name === "Worker") out.worker += ms;
        else out.other += ms;
      } catch { /* the thread ended */ }
    }
  }
  return out;
}

/** The server side of a PostgreSQL run: its backends' CPU and the commits, read twice. */
/**
 * Samples pg_locks every 10 ms while the run lasts: how often a writer holds
 * the schema's advisory lock (writers serialise on it, so a share near 1
 * means the lock, not the cores, bounds the run) and how many wait for it.
 */
function lockSampler(): () => Promise<{ held: number; waiting: number }> {
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  let samples = 0, held = 0, waiting = 0, on = true;
  const loop = (async () => {
    while (on) {
      const r =
        await sql`SELECT count(*) FILTER (WHERE granted) AS h, count(*) FILTER (WHERE NOT granted) AS w
        FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()`;
      samples++;
      if (Number(r[0]!.h) > 0) held++;
      waiting += Number(r[0]!.w);
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  return async () => {
    on = false;
    await loop;
    await sql.end();
    return { held: held / samples, waiting: waiting / samples };
  };
}

async function serverProbe(): Promise<() => Promise<{ cpu: number; commits: number }>> {
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  const read = async () => {
    await sql`SELECT pg_stat_clear_snapshot()`;
    const pids = (await sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
      .map((r) => Number(r.pid));
    const commits = Number(
      (await sql`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`)[0]!
        .xact_commit,
    );
    return { pids, commits };
  };
  const before = await read();
  const cpu0 = cpuOf(before.pids);
  return async () => {
    const cpu1 = cpuOf(before.pids); // the same backends, before the gates close them
    await new Promise((r) => setTimeout(r, 600)); // stats are flushed asynchronously
    const after = await read();
    await sql.end();
    return { cpu: cpu1 - cpu0, commits: after.commits - before.commits };
  };
}

async function run(store: "sqlite" | "postgres", gates: number, schema: string): Promise<Row> {
  const ws = workspace(store, schema);
  const env = { ...process.env, WARRANT_DATABASE_URL: PG_URL, WARRANT_LOG: "error" };
  const clients = await Promise.all(
    Array.from(
      { length: gates },
      () =>
        GateClient.spawn([BINARY, "runtime", "gate", "--config", ws.configPath], {
          cwd: ws.dir,
          env,
        }),
    ),
  );
  try {
    for (const c of clients) await c.registerTool("echo", ({ args }) => args);
    // Warm-up: the same load for WARMUP seconds first (connections, statement
    // caches, and above all the JIT: a gate's compiler threads take ~0.3 s of
    // CPU over its first thousand governs, which in a short window would be
    // charged to the store, more so the more gates share the 2 cores).
    const load = async (until: number, each?: (ms: number) => void) => {
      await Promise.all(
        clients.flatMap((c) =>
          Array.from({ length: CALLERS_PER_GATE }, async () => {
            let n = 0;
            while (performance.now() < until) {
              const s = performance.now();
              const r = await c.govern("echo", { n: n++ });
              each?.(performance.now() - s);
              if (r.phase !== "completed") throw new Error(`govern was ${JSON.stringify(r)}`);
            }
          })
        ),
      );
    };
    await load(performance.now() + WARMUP * 1000);
    const gatePids = childPids();
    const gateCpu0 = cpuOf(gatePids);
    const threads0 = threadCpu(gatePids);
    const server = store === "postgres" ? await serverProbe() : null;
    const locks = store === "postgres" ? lockSampler() : null;
    const latencies: number[] = [];
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await load(until, (ms) => latencies.push(ms));
    const wall = performance.now() - t0;
    const gateCpu = cpuOf(gatePids) - gateCpu0;
    const threads1 = threadCpu(gatePids);
    const lk = locks ? await locks() : { held: NaN, waiting: NaN };
    const srv = server ? await server() : { cpu: NaN, commits: NaN };
    const s = summarize(latencies);
    const n = latencies.length;
    return {
      store,
      gates,
      calls: n,
      perSec: n / wall * 1000,
      p50: s.p50,
      p99: s.p99,
      gateCpu: gatePids.length > 0 ? gateCpu / n : NaN,
      threads: {
        main: (threads1.main - threads0.main) / n,
        worker: (threads1.worker - threads0.worker) / n,
        other: (threads1.other - threads0.other) / n,
      },
      serverCpu: srv.cpu / n,
      commits: srv.commits / n,
      lockHeld: lk.held,
      lockWaiting: lk.waiting,
    };
  } finally {
    for (const c of clients) await c.close();
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

async function commitsPerGovern(schema: string): Promise<{ commits: number; governs: number }> {
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  const read = async () =>
    Number(
      (await sql`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`)[0]!
        .xact_commit,
    );
  const ws = workspace("postgres", schema);
  const gate = await GateClient.spawn([BINARY, "runtime", "gate", "--config", ws.configPath], {
    cwd: ws.dir,
    env: { ...process.env, WARRANT_DATABASE_URL: PG_URL, WARRANT_LOG: "error" },
  });
  try {
    await gate.registerTool("echo", ({ args }) => args);
    await gate.govern("echo", {});
    await sql`SELECT pg_stat_clear_snapshot()`;
    const before = await read();
    const n = 200;
    for (let i = 0; i < n; i++) await gate.govern("echo", { i });
    await new Promise((r) => setTimeout(r, 600)); // stats are flushed asynchronously
    await sql`SELECT pg_stat_clear_snapshot()`;
    return { commits: (await read()) - before, governs: n };
  } finally {
    await gate.close();
    await sql.end();
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

async function roundTrips(): Promise<{ bridge: number; direct: number }> {
  const b = pgBridge({ url: PG_URL!, schema: "public" });
  const n = 2000;
  try {
    b.query("SELECT 1 AS x");
    const tb: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      b.query("SELECT $1::int AS x", [i]);
      tb.push(performance.now() - t);
    }
    const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
    await sql.unsafe("SELECT 1 AS x");
    const td: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await sql.unsafe("SELECT $1::int AS x", [i], { prepare: true }); // as the worker runs it
      td.push(performance.now() - t);
    }
    await sql.end();
    return { bridge: summarize(tb).p50 * 1000, direct: summarize(td).p50 * 1000 };
  } finally {
    b.close();
  }
}

async function dropSchemas(schemas: string[]): Promise<void> {
  const sql = postgres(PG_URL!, { max: 1, onnotice: () => {} });
  for (const s of schemas) await sql.unsafe(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await sql.end();
}

async function main(): Promise<void> {
  const tag = `bench_${process.pid}`;
  const schemas: string[] = [];
  const rows: Row[] = [];
  try {
    for (const gates of GATES) {
      for (const store of ["sqlite", "postgres"] as const) {
        const schema = `${tag}_${gates}`;
        if (store === "postgres") schemas.push(schema);
        console.error(`bench store: ${store}, ${gates} gate(s), ${SECONDS} s`);
        rows.push(await run(store, gates, schema));
      }
    }
    schemas.push(`${tag}_commits`);
    const commits = await commitsPerGovern(`${tag}_commits`);
    const rt = await roundTrips();
    const by = (s: string, g: number) => rows.find((r) => r.store === s && r.gates === g)!;
    console.log(`## Store: govern throughput, SQLite vs PostgreSQL, 1–${GATES.at(-1)} gate processes

Compiled binary; each gate process has ${CALLERS_PER_GATE} caller(s) in flight, after ${WARMUP} s of the same load (JIT warm-up); an allowed tool with a trivial body (2 transactions per govern: the decision with its executing intent, then the outcome); ${SECONDS} s per row; SQLite with synchronous=FULL, PostgreSQL 15 local (TCP on 127.0.0.1, fsync on, synchronous_commit=on). Latencies in ms. CPU per govern: user+system time of the gate processes (and, for PostgreSQL, of the server backends serving them) over the timed run ÷ governs — less disturbed by other load than the latencies; commits/govern below 2 is the group commit at work. Lock held: the share of pg_locks samples (every 10 ms) in which a writer held the schema's advisory lock; writers waiting: how many waited for it, on average — a share near 100% means the one-writer lock, not the cores, bounds the run.

${
      markdownTable(
        [
          "gates",
          "SQLite calls/s",
          "SQLite p50",
          "SQLite p99",
          "PG calls/s",
          "PG p50",
          "PG p99",
          "PG ÷ SQLite",
          "CPU ms/govern: SQLite gates",
          "PG gates",
          "PG server",
          "PG commits/govern",
          "PG lock held",
          "PG writers waiting",
        ],
        GATES.map((g) => {
          const s = by("sqlite", g);
          const p = by("postgres", g);
          return [
            String(g),
            fmt(s.perSec),
            fmt(s.p50),
            fmt(s.p99),
            fmt(p.perSec),
            fmt(p.p50),
            fmt(p.p99),
            `${(p.perSec / s.perSec).toFixed(2)}×`,
            cell(s.gateCpu),
            cell(p.gateCpu),
            cell(p.serverCpu),
            cell(p.commits),
            `${(p.lockHeld * 100).toFixed(0)}%`,
            cell(p.lockWaiting),
          ];
        }),
      )
    }

Gate CPU per govern by thread, ms (main thread / PostgreSQL bridge worker / JIT and GC threads): ${
      GATES.map((g) => {
        const t = (r: Row) =>
          `${cell(r.threads.main)} / ${cell(r.threads.worker)} / ${cell(r.threads.other)}`;
        return `${g} gate(s): SQLite ${t(by("sqlite", g))}, PostgreSQL ${t(by("postgres", g))}`;
      }).join("; ")
    }.

Where the time goes on PostgreSQL: ${
      (commits.commits / commits.governs).toFixed(2)
    } commits per sequential govern (pg_stat_database); a statement through the synchronous bridge (worker hop + server round trip) takes ${
      fmt(rt.bridge)
    } µs at p50 against ${
      fmt(rt.direct)
    } µs for the same statement awaited directly on the driver — the hop costs ${
      fmt(rt.bridge - rt.direct)
    } µs per statement. An allowed govern is two transactions and three answered round trips (docs/postgres.md: statements prepared; the decision's BEGIN, new action, writer lock, event seal and COMMIT in one message; the outcome's compare-and-set, then the lock, the seal and the COMMIT); a group of decisions committed together costs one. Writers serialise on one advisory lock per schema (as SQLite's on its file lock), held from the seal to the commit's WAL flush — server time only, no round trip back to the gate inside it — so extra gates add throughput until that hold or the cores run out: a lock held near 100% of the run means the hold bounds it, otherwise the CPU per govern (the gates' bridge worker and driver, then the server) on these 2 cores does.
`);
  } finally {
    await dropSchemas(schemas);
  }
}

await main();
