/**
 * Scaling with history: govern latency (GateService.govern with a no-op
 * ToolRunner: evaluate + record the decision, its events and, for an allowed
 * call, the executing intent and the completed outcome, each in a store
 * transaction; synchronous=FULL as configured by default) and `pending`
 * listing latency (store.listRequests({state: "pending", limit: 50})) with
 * 10^3, 10^5 and 10^6 actions already in the store, plus stored bytes per
 * action (database + WAL after a TRUNCATE checkpoint, ÷ actions).
 *
 * History is seeded through the real write path (insertAction/transition/
 * insertRequest, so events are hash-chained and sizes are real), 10,000
 * actions per transaction: 90% allowed → executing → completed, 7% denied,
 * 3% held (one held action in ten stays pending, the others expire). The
 * real path writes ~11k actions/s (sha256 chain and canonical JSON per
 * event), too slow for 10^6 in a minute, so beyond --real (10^5) actions the
 * store is closed and the seeded block (actions, requests, events) is copied
 * with INSERT … SELECT under new ids and seqs; the audit head is moved to the
 * last copied event so the store keeps appending (the copied rows do not
 * form a valid hash chain — `audit verify` would flag them; nothing here
 * verifies).
 *
 *   bun bench/history.ts [--sizes 1000,100000,1000000] [--calls 2000] [--dir DIR]
 *                        [--simple 100000] [--out FILE]
 *
 * Writes bench/out/history.json (or --out FILE) and prints a markdown table.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GateService } from "../src/app/gate-service.ts";
import type { ToolRunner } from "../src/app/ports/tool-runner.ts";
import type { Logger } from "../src/app/ports/system.ts";
import type { StoreTx } from "../src/app/ports/store.ts";
import { compilePolicy } from "../src/core/policy/compile.ts";
import { parsePolicyDocument } from "../src/core/policy/schema.ts";
import { bunSqlite } from "../src/platform/bun.ts";
import { systemClock, systemIds } from "../src/platform/system.ts";
import { openStore } from "../src/store/sqlite-store.ts";
import { warrantDocument } from "./engines/warrant.ts";
import { lcg, workload } from "./engines/workload.ts";
import { machineInfo } from "./lib/machine.ts";
import { fmt, markdownTable, percentile, ratio } from "./lib/stats.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] ?? fallback : fallback;
}

/** Bytes of a SQLite store: the database file and its WAL (0 for a missing file). */
function storeBytes(path: string): number {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return size(path) + size(`${path}-wal`);
}

const SIZES = arg("sizes", "1000,100000,1000000").split(",").map(Number);
const CALLS = Number(arg("calls", "2000"));
const REAL = Number(arg("real", "100000"));
const BATCH = 10_000;
const SESSION = "ses_bench";

const silent: Logger = { log: () => {} };
const noopRunner: ToolRunner = { run: () => Promise.resolve({ ok: true, output: { ok: true } }) };

export interface HistoryResult {
  actions: number;
  seedSeconds: number;
  govern: { p50: number; p90: number; p99: number; byEffect: Record<string, number> };
  pending: { p50: number; p99: number; listed: number };
  bytes: number;
  bytesPerAction: number;
  /** True when part of the history was bulk-copied (see the header). */
  copied?: boolean;
}

/**
 * Copies the current rows (actions, approval requests, events) under new
 * ids/seqs until about `target` actions exist; moves the audit head to the
 * last event. Returns the number of actions. Needs the store closed.
 */
function bulkCopy(db: ReturnType<typeof bunSqlite>, target: number): number {
  const t0 = performance.now();
  const count = () => Number(db.get("SELECT count(*) AS n FROM actions")!.n);
  const baseActions = count();
  const maxRow = Number(db.get("SELECT max(rowid) AS m FROM actions")!.m);
  const maxReq = Number(db.get("SELECT max(rowid) AS m FROM approval_requests")!.m ?? 0);
  const maxSeq = Number(db.get("SELECT max(seq) AS m FROM events")!.m);
  const maxN = Number(db.get("SELECT max(n) AS m FROM actions")!.m);
  const cols =
    "session_id, project, tool, args, args_digest, origin, correlation_id, idempotency_key, state, effect, kind, reason, rules, policy_id, policy_version";
  const cols2 = "deadline, output, executor_session, created_at, updated_at";
  for (let k = 1; baseActions * (k + 1) <= target * 1.02 || count() < target * 0.98; k++) {
    const suf = `_c${k}`;
    db.exec("BEGIN");
    db.run(
      `INSERT INTO actions (id, ${cols}, request_id, ${cols2}, n) SELECT id || ?, ${cols}, ` +
        `CASE WHEN request_id IS NULL THEN NULL ELSE request_id || ? END, ${cols2}, n + ? ` +
        "FROM actions WHERE rowid <= ?",
      [suf, suf, maxN * k, maxRow],
    );
    db.run(
      "INSERT INTO approval_requests (id, action_id, requirements, rules, policy_id, policy_version, " +
        "action_digest, deadline, state, created_at, resolved_at) SELECT id || ?, action_id || ?, " +
        "requirements, rules, policy_id, policy_version, action_digest, deadline, state, created_at, " +
        "resolved_at FROM approval_requests WHERE rowid <= ?",
      [suf, suf, maxReq],
    );
    const off = Number(db.get("SELECT max(seq) AS m FROM events")!.m);
    db.run(
      "INSERT INTO events (seq, at, type, action_id, action_n, payload, prev_hash, hash) SELECT " +
        "seq + ?, at, type, CASE WHEN action_id IS NULL THEN NULL ELSE action_id || ? END, " +
        "action_n + ?, payload, prev_hash, hash FROM events WHERE seq <= ?",
      [off, suf, maxN * k, maxSeq],
    );
    const last = db.get("SELECT seq, hex(hash) AS h FROM events ORDER BY seq DESC LIMIT 1")!;
    db.run("UPDATE meta SET value = ? WHERE key = 'audit_head'", [
      `${Number(last.seq)} ${String(last.h).toLowerCase()}`,
    ]);
    db.exec("COMMIT");
    console.error(`history: bulk copy ${k}: ${count().toLocaleString("en-US")} actions`);
  }
  console.error(`history: bulk copy took ${fmt((performance.now() - t0) / 1000)} s`);
  return count();
}

/** Writes one seeded action through the real store API (a typical small call). */
function seedOne(tx: StoreTx, id: string, i: number, at: number, rand: (m: number) => number) {
  tx.insertAction({
    id,
    session_id: SESSION,
    project: "bench",
    tool: `tool_${i % 97}`,
    args: { amount: rand(1000), to: "ACME-LTD", memo: `invoice ${i}` },
    origin: "hook",
    at,
  });
  const base = { rules: [`allow-${i % 97}`], policy_id: "history", policy_version: 1 };
  // As GateService records it: matched/by_default only when they add something.
  const why = {};
  const k = rand(100);
  if (k < 90) {
    tx.transition(
      id,
      ["proposed"],
      "allowed",
      { ...base, effect: "allow" },
      at,
      why,
    );
    tx.transition(id, ["allowed"], "executing", { executor_session: SESSION }, at);
    tx.transition(id, ["executing"], "completed", { output: { ok: true, n: i } }, at);
  } else if (k < 97) {
    tx.transition(
      id,
      ["proposed"],
      "denied",
      {
        ...base,
        effect: "deny",
        kind: "policy_denied",
        reason: "rule deny",
      },
      at,
      why,
    );
  } else {
    const req = `req_${id.slice(4)}`;
    tx.insertRequest({
      id: req,
      action_id: id,
      requirements: [{ rule: base.rules[0]!, quorum: 1, roles: ["ops"], timeout_ms: null }],
      rules: base.rules,
      policy_id: "history",
      policy_version: 1,
      action_digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000",
      deadline: at + 900_000,
      at,
    });
    tx.transition(
      id,
      ["proposed"],
      "held",
      {
        ...base,
        effect: "hold",
        request_id: req,
        deadline: at + 900_000,
      },
      at,
      why,
    );
    if (rand(10) !== 0) {
      tx.resolveRequest(req, "expired", at);
      tx.transition(id, ["held"], "expired", { kind: "approval_timeout" }, at);
    }
  }
}

/** Simple actions for the storage aim (an allowed call with small args, completed). */
const SIMPLE = Number(arg("simple", "100000"));

/**
 * Bytes per simple action: `n` allowed calls written as the gate writes them
 * (one insert with the decision and its executing intent, then the
 * completed outcome; real ids; small args and output) into a fresh store,
 * database + WAL after a TRUNCATE checkpoint ÷ n.
 */
export interface SimpleBytes {
  actions: number;
  bytes: number;
  perAction: number;
  /** Bytes per action by table or index (SQLite dbstat), largest first; null without dbstat. */
  tables: Array<{ name: string; perAction: number }> | null;
}

function simpleActionBytes(n: number): SimpleBytes {
  const dir = mkdtempSync(join(tmpdir(), "warrant-simple-"));
  const path = join(dir, "simple.db");
  const store = openStore({ path, driver: bunSqlite, synchronous: "normal" });
  const ids = systemIds();
  const session = ids.next("session");
  try {
    store.tx((tx) => tx.openSession({ id: session, project: "bench", pid: 1, at: Date.now() }));
    for (let done = 0; done < n; done += 2000) {
      store.tx((tx) => {
        const at = Date.now();
        for (let i = done; i < Math.min(n, done + 2000); i++) {
          const id = ids.next("action");
          tx.insertAction(
            {
              id,
              session_id: session,
              project: "bench",
              tool: "search_docs",
              args: { q: `lease ${i}` },
              origin: "hook",
              at,
            },
            [
              {
                to: "allowed",
                patch: { effect: "allow", rules: ["docs"], policy_id: "bench", policy_version: 1 },
              },
              { to: "executing", patch: { executor_session: session } },
            ],
          );
          tx.transition(id, ["executing"], "completed", { output: { hits: i % 3 } }, at);
        }
      });
    }
  } finally {
    store.close();
  }
  const raw = bunSqlite(path);
  raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  let tables: SimpleBytes["tables"] = null;
  try {
    tables = raw.all("SELECT name, SUM(pgsize) AS b FROM dbstat GROUP BY name ORDER BY b DESC")
      .map((r) => ({ name: String(r.name), perAction: Number(r.b) / n }))
      .filter((t) => t.perAction >= 1);
  } catch { /* SQLite without the dbstat table */ }
  raw.close();
  const bytes = storeBytes(path);
  rmSync(dir, { recursive: true, force: true });
  return { actions: n, bytes, perAction: bytes / n, tables };
}

async function main(): Promise<void> {
  const dir = arg("dir", "") || mkdtempSync(join(tmpdir(), "warrant-history-"));
  const path = join(dir, "history.db");
  let store = openStore({ path, driver: bunSqlite });
  const raw = bunSqlite(path); // a second connection: checkpoint, counts, bulk copies
  const ids = systemIds();
  const policy = compilePolicy(
    parsePolicyDocument(JSON.stringify(warrantDocument(workload(30, 0).rules)), "h.json"),
  );
  store.tx((tx) => {
    tx.openSession({ id: SESSION, project: "bench", pid: process.pid, at: Date.now() });
  });
  const makeGate = () =>
    new GateService({
      store,
      clock: systemClock,
      ids,
      logger: silent,
      policy: () => policy,
      // Only the active policy is trusted here (the bench never resumes a hold).
      holdPolicy: (id, version) =>
        id === policy.id && version === policy.version
          ? { ok: true as const, policy }
          : { ok: false as const, problem: `no stored policy ${id} v${version}` },
      project: "bench",
      sessionId: SESSION,
      defaultHoldTimeoutMs: 900_000,
    });
  let gate = makeGate();
  let copied = false;
  const calls = workload(30, CALLS, 7).calls.map((c) => ({
    tool: c.tool,
    args: { amount: c.amount, to: "ACME-LTD", memo: "bench" },
  }));
  const rand = lcg(99);
  const results: HistoryResult[] = [];
  let seeded = 0;
  try {
    for (const target of SIZES) {
      const t0 = performance.now();
      if (target > REAL && seeded >= REAL) {
        store.close();
        seeded = bulkCopy(raw, target);
        store = openStore({ path, driver: bunSqlite });
        gate = makeGate();
        copied = true;
      }
      while (seeded < target) {
        const n = Math.min(BATCH, target - seeded);
        const at = Date.now();
        store.tx((tx) => {
          for (let j = 0; j < n; j++) seedOne(tx, ids.next("action"), seeded + j, at, rand);
        });
        seeded += n;
        if (seeded % 100_000 === 0) {
          console.error(`history: seeded ${seeded.toLocaleString("en-US")}`);
        }
      }
      const seedSeconds = (performance.now() - t0) / 1000;
      const actions = Number(raw.get("SELECT count(*) AS n FROM actions")!.n);
      raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      const bytes = storeBytes(path);

      // govern: warm-up, then timed calls (a mix of allow, hold and deny).
      // (1,000 calls: the first size otherwise times the JIT and the first WAL growth.)
      for (let i = 0; i < 1000; i++) await gate.govern(calls[i % calls.length]!, true, noopRunner);
      const lat: number[] = [];
      const byEffect: Record<string, number[]> = {};
      for (let i = 0; i < CALLS; i++) {
        const t = Bun.nanoseconds();
        const out = await gate.govern(calls[i]!, true, noopRunner);
        const us = (Bun.nanoseconds() - t) / 1000;
        lat.push(us);
        (byEffect[out.phase] ??= []).push(us);
      }
      lat.sort((a, b) => a - b);
      const pend: number[] = [];
      let listed = 0;
      for (let i = 0; i < 500; i++) {
        const t = Bun.nanoseconds();
        listed = store.listRequests({ state: "pending", limit: 50 }).length;
        pend.push((Bun.nanoseconds() - t) / 1000);
      }
      pend.sort((a, b) => a - b);
      const r: HistoryResult = {
        actions,
        seedSeconds,
        govern: {
          p50: percentile(lat, 50),
          p90: percentile(lat, 90),
          p99: percentile(lat, 99),
          byEffect: Object.fromEntries(
            Object.entries(byEffect).map((
              [k, v],
            ) => [k, percentile(v.sort((a, b) => a - b), 50)]),
          ),
        },
        pending: { p50: percentile(pend, 50), p99: percentile(pend, 99), listed },
        bytes,
        bytesPerAction: bytes / actions,
      };
      results.push({ ...r, ...(copied ? { copied: true } : {}) });
      console.error(
        `history: ${actions} actions (seeded in ${fmt(seedSeconds)} s): govern p50 ${
          fmt(r.govern.p50)
        } µs, pending p50 ${fmt(r.pending.p50)} µs, ${fmt(r.bytesPerAction)} B/action`,
      );
    }
  } finally {
    raw.close();
    store.close();
    if (!arg("dir", "")) rmSync(dir, { recursive: true, force: true });
  }
  const simple = SIMPLE > 0 ? simpleActionBytes(SIMPLE) : null;
  if (simple) console.error(`history: ${fmt(simple.perAction)} B per simple action`);
  const out = arg("out", "");
  mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  writeFileSync(
    out || new URL("./out/history.json", import.meta.url),
    JSON.stringify({ machine: machineInfo(), calls: CALLS, results, simple }, null, 2),
  );
  const first = results[0]!;
  console.log(`## Scaling with history

GateService.govern with a no-op tool body (decision, events and, for an allowed call, the executing intent and the completed outcome; synchronous=FULL), ${
    CALLS.toLocaleString("en-US")
  } calls per size after 1,000 warm-up calls; \`pending\` = \`listRequests({state: "pending", limit: 50})\`, 500 times. Latencies in µs. Bytes per action: database + WAL after a TRUNCATE checkpoint ÷ actions (with their events; 90% completed, 7% denied, 3% held). History is written through the store API up to ${
    REAL.toLocaleString("en-US")
  } actions; larger stores${
    results.some((r) => r.copied) ? " (marked *)" : ""
  } are bulk-copied from that block by SQL (seed s is then the copy time).

${
    markdownTable(
      [
        "actions in store",
        "seed s",
        "govern p50",
        "govern p90",
        "govern p99",
        "p50 by outcome",
        "p99 vs 10^3",
        "pending p50",
        "pending p99",
        "bytes/action",
      ],
      results.map((r) => [
        `${r.actions.toLocaleString("en-US")}${r.copied ? " *" : ""}`,
        fmt(r.seedSeconds),
        fmt(r.govern.p50),
        fmt(r.govern.p90),
        fmt(r.govern.p99),
        Object.entries(r.govern.byEffect).map(([k, v]) => `${k} ${fmt(v)}`).join(", "),
        ratio(r.govern.p99, first.govern.p99),
        fmt(r.pending.p50),
        fmt(r.pending.p99),
        fmt(r.bytesPerAction),
      ]),
    )
  }
${
    simple
      ? `
Simple actions: ${
        simple.actions.toLocaleString("en-US")
      } allowed calls (small args and output, completed) written as the gate writes them into a fresh store: **${
        fmt(simple.perAction)
      } bytes per action** (database + WAL after a TRUNCATE checkpoint, with their 4 audit events).
`
      : ""
  }`);
}

if (import.meta.main) await main();
