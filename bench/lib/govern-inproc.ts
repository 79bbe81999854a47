/**
 * One govern at a time, in this process: GateService.govern for an allowed
 * tool with a no-op body, on a SQLite store (synchronous=full) in `dir`,
 * with every statement the store sends counted and timed through a
 * wrapping SqlDriver. It splits a sequential call's CPU into the store's
 * statements (native SQLite, by statement), and everything else govern
 * does (policy, canonical JSON, hashing, the store's JS); the gate process
 * adds the protocol and its event loop around it (bench/gate.ts compares).
 * Native hashes are installed as the runtime installs them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GateService } from "../../src/app/gate-service.ts";
import type { ToolRunner } from "../../src/app/ports/tool-runner.ts";
import type { SqlDriver, SqlDriverFactory } from "../../src/app/ports/sql.ts";
import { compilePolicy } from "../../src/core/policy/compile.ts";
import { parsePolicyDocument } from "../../src/core/policy/schema.ts";
import { useNativeHashes } from "../../src/core/digest.ts";
import { bunHashes, bunSqlite } from "../../src/platform/bun.ts";
import { systemClock, systemIds } from "../../src/platform/system.ts";
import { openStore } from "../../src/store/sqlite-store.ts";

export interface StatementCost {
  /** The statement's SQL, whitespace collapsed, cut to 90 characters. */
  sql: string;
  perCall: number;
  usPerCall: number;
}

export interface InProcessGovern {
  calls: number;
  /** Wall time per govern (µs): this loop has nothing else to wait for. */
  usPerCall: number;
  /** This process's CPU (user + system) per govern, µs. */
  cpuUsPerCall: number;
  statementsPerCall: number;
  /** µs per govern inside the driver's calls (SQLite's own work, native). */
  sqliteUsPerCall: number;
  statements: StatementCost[];
}

const POLICY = JSON.stringify({
  policy: "bench",
  version: 1,
  default: "deny",
  approvers: {},
  rules: [{ id: "echo", tool: "echo", effect: "allow" }],
});

const noop: ToolRunner = { run: () => Promise.resolve({ ok: true, output: { ok: true } }) };

/** `calls` sequential governs after `warmup`, the store in a fresh folder under `dir`. */
export async function inProcessGovern(
  dir: string,
  calls = 5000,
  warmup = 1000,
): Promise<InProcessGovern> {
  useNativeHashes(bunHashes());
  const home = mkdtempSync(join(dir, "warrant-bench-inproc-"));
  const stats = new Map<string, { n: number; ns: number }>();
  let counting = false;
  const timed: SqlDriverFactory = (path, opts) => {
    const d = bunSqlite(path, opts);
    const wrap = <K extends "exec" | "run" | "get" | "all">(k: K) => {
      const f = d[k].bind(d) as (sql: string, p?: unknown) => unknown;
      return ((sql: string, p?: unknown) => {
        if (!counting) return f(sql, p);
        const t = Bun.nanoseconds();
        try {
          return f(sql, p);
        } finally {
          const key = sql.replace(/\s+/g, " ").trim().slice(0, 90);
          const s = stats.get(key) ?? { n: 0, ns: 0 };
          s.n++;
          s.ns += Bun.nanoseconds() - t;
          stats.set(key, s);
        }
      }) as SqlDriver[K];
    };
    return { ...d, exec: wrap("exec"), run: wrap("run"), get: wrap("get"), all: wrap("all") };
  };
  const store = openStore({ path: join(home, "w.db"), driver: timed, synchronous: "full" });
  try {
    const policy = compilePolicy(parsePolicyDocument(POLICY, "bench.policy.json"));
    store.tx((tx) =>
      tx.openSession({ id: "ses_bench", project: "bench", pid: process.pid, at: Date.now() })
    );
    const gate = new GateService({
      store,
      clock: systemClock,
      ids: systemIds(),
      logger: { log: () => {} },
      policy: () => policy,
      holdPolicy: () => ({ ok: true as const, policy }),
      project: "bench",
      sessionId: "ses_bench",
      defaultHoldTimeoutMs: 900_000,
    });
    const one = async (n: number) => {
      const r = await gate.govern({ tool: "echo", args: { n } }, true, noop);
      if (r.phase !== "completed") throw new Error(`in-process govern was ${r.phase}`);
    };
    for (let i = 0; i < warmup; i++) await one(i);
    counting = true;
    const c0 = process.cpuUsage();
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < calls; i++) await one(i);
    const wallNs = Bun.nanoseconds() - t0;
    const cpu = process.cpuUsage(c0);
    counting = false;
    const statements = [...stats].map(([sql, s]) => ({
      sql,
      perCall: s.n / calls,
      usPerCall: s.ns / 1000 / calls,
    })).sort((a, b) => b.usPerCall - a.usPerCall);
    return {
      calls,
      usPerCall: wallNs / 1000 / calls,
      cpuUsPerCall: (cpu.user + cpu.system) / calls,
      statementsPerCall: statements.reduce((a, s) => a + s.perCall, 0),
      sqliteUsPerCall: statements.reduce((a, s) => a + s.usPerCall, 0),
      statements,
    };
  } finally {
    store.close();
    rmSync(home, { recursive: true, force: true });
  }
}
