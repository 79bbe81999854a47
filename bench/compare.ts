/**
 * Policy evaluation side by side: warrant, Cedar (@cedar-policy/cedar-wasm)
 * and Casbin on the same tool-gate workload (bench/engines/workload.ts) at
 * 10, 100, 1,000 and 10,000 rules, in one process. For each size every
 * engine first decides the whole call corpus and must agree with warrant on
 * every call (a mismatch is a translation bug: the run stops). Then each
 * engine is warmed up and timed per decision with Bun.nanoseconds(); an
 * engine is capped at --budget seconds per size (reported as "capped").
 *
 *   bun bench/compare.ts [--calls 100000] [--budget 3] [--sizes 10,100,1000,10000]
 *
 * Writes bench/out/compare.json and prints a markdown table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cedarEngine } from "./engines/cedar.ts";
import { casbinEngine } from "./engines/casbin.ts";
import { warrantEngine } from "./engines/warrant.ts";
import { workload } from "./engines/workload.ts";
import type { CallSpec, Engine, EngineFactory } from "./engines/workload.ts";
import { machineInfo } from "./lib/machine.ts";
import { fmt, markdownTable, percentile, ratio } from "./lib/stats.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] ?? fallback : fallback;
}
const CALLS = Number(arg("calls", "100000"));
const BUDGET_S = Number(arg("budget", "3"));
const SIZES = arg("sizes", "10,100,1000,10000").split(",").map(Number);
/** Calls per corpus: every engine decides all of them before timing (smaller at 10,000 rules, where Cedar needs ~15 ms a call). */
const corpusSize = (rules: number) => (rules >= 10_000 ? 512 : 4096);

const FACTORIES: [string, EngineFactory][] = [
  ["warrant", warrantEngine],
  ["cedar", cedarEngine],
  ["casbin", casbinEngine],
];

export interface EngineResult {
  engine: string;
  rules: number;
  loadMs: number;
  samples: number;
  capped: boolean;
  p50: number;
  p99: number;
  p999: number;
  perSec: number;
  outcomes: Record<string, number>;
}

/** Times `e` on `calls` (cycled): warm-up, then per-call samples in µs, within the budget. */
function time(
  e: Engine,
  calls: readonly CallSpec[],
): Omit<EngineResult, "engine" | "rules" | "loadMs"> {
  const budgetNs = BUDGET_S * 1e9;
  const warmEnd = Bun.nanoseconds() + budgetNs / 10;
  for (let i = 0; i < 20_000 && Bun.nanoseconds() < warmEnd; i++) {
    e.decide(calls[i % calls.length]!);
  }
  const samples = new Float64Array(CALLS);
  const outcomes: Record<string, number> = { allow: 0, hold: 0, deny: 0 };
  const start = Bun.nanoseconds();
  let n = 0;
  for (; n < CALLS; n++) {
    const t = Bun.nanoseconds();
    const d = e.decide(calls[n % calls.length]!);
    const t2 = Bun.nanoseconds();
    samples[n] = (t2 - t) / 1000;
    outcomes[d] = (outcomes[d] ?? 0) + 1;
    if ((n & 63) === 63 && t2 - start > budgetNs) {
      n++;
      break;
    }
  }
  const wall = (Bun.nanoseconds() - start) / 1e9;
  const sorted = Array.from(samples.subarray(0, n)).sort((a, b) => a - b);
  return {
    samples: n,
    capped: n < CALLS,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    perSec: n / wall,
    outcomes,
  };
}

async function runSize(size: number): Promise<EngineResult[]> {
  const { rules, calls } = workload(size, corpusSize(size));
  const engines: { e: Engine; loadMs: number }[] = [];
  for (const [name, make] of FACTORIES) {
    const t0 = performance.now();
    const e = await make(rules);
    const loadMs = performance.now() - t0;
    console.error(`compare: ${name} loaded ${size} rules in ${fmt(loadMs)} ms`);
    engines.push({ e, loadMs });
  }
  // Agreement first: every engine must decide the whole corpus like warrant.
  const expected = calls.map((c) => engines[0]!.e.decide(c));
  for (const { e } of engines.slice(1)) {
    calls.forEach((c, i) => {
      const got = e.decide(c);
      if (got !== expected[i]) {
        throw new Error(
          `compare: ${e.name} disagrees with warrant at ${size} rules on ${
            JSON.stringify(c)
          }: ${got} vs ${expected[i]} (a translation bug; fix bench/engines/${e.name}.ts)`,
        );
      }
    });
  }
  console.error(`compare: ${size} rules: all engines agree on ${calls.length} calls`);
  const out: EngineResult[] = [];
  for (const { e, loadMs } of engines) {
    out.push({ engine: e.name, rules: size, loadMs, ...time(e, calls) });
    e.close?.();
  }
  return out;
}

async function main(): Promise<void> {
  const results: EngineResult[] = [];
  for (const size of SIZES) results.push(...(await runSize(size)));
  mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./out/compare.json", import.meta.url),
    JSON.stringify({ machine: machineInfo(), calls: CALLS, budgetS: BUDGET_S, results }, null, 2),
  );
  const rows = results.map((r) => {
    const w = results.find((x) => x.engine === "warrant" && x.rules === r.rules)!;
    return [
      r.rules.toLocaleString("en-US"),
      r.engine,
      fmt(r.loadMs),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.p999),
      Math.round(r.perSec).toLocaleString("en-US"),
      r.engine === "warrant" ? "1.00×" : ratio(r.p99, w.p99),
      r.engine === "warrant" ? "1.00×" : ratio(w.perSec, r.perSec),
      `${r.samples.toLocaleString("en-US")}${r.capped ? " (capped)" : ""}`,
    ];
  });
  console.log(`## Policy evaluation: warrant vs Cedar vs Casbin

Same workload per size (tool_N with an amount condition; allow/hold/deny mix; default deny), same process; all engines agreed with warrant on every call of the corpus (4,096 calls; 512 at 10,000 rules) before timing. Latencies in µs per decision after warm-up; "p99 ×" is the engine's p99 over warrant's, "slower ×" is warrant's decisions/s over the engine's. Engines are capped at ${BUDGET_S} s of timed calls per size.

${
    markdownTable(
      [
        "rules",
        "engine",
        "load ms",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "decisions/s",
        "p99 ×",
        "slower ×",
        "samples",
      ],
      rows,
    )
  }
`);
}

if (import.meta.main) await main();
