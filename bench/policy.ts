/**
 * Policy evaluation latency for 10 … 10,000 rules (warrant alone; see
 * bench/compare.ts for other engines). Each policy has one allow, one hold
 * and one deny rule per tool (amount conditions) plus glob rules; calls pick
 * a random tool and amount, so outcomes mix allow, hold and deny. Latency
 * per decision is timed with Bun.nanoseconds() after warm-up; the baseline
 * is the 10-rule policy measured in the same run.
 *
 *   bun bench/policy.ts [--calls 200000]
 */
import { compilePolicy } from "../src/core/policy/compile.ts";
import { evaluate } from "../src/core/policy/evaluate.ts";
import { parsePolicyDocument } from "../src/core/policy/schema.ts";
import { fmt, markdownTable, ratio, summarize } from "./lib/stats.ts";
import { policyWorkload } from "./lib/policy-workload.ts";

const argCalls = process.argv.indexOf("--calls");
const CALLS = argCalls > 0 ? Number(process.argv[argCalls + 1]) : 200_000;

function measure(n: number) {
  const { doc, calls } = policyWorkload(n);
  const t0 = performance.now();
  const policy = compilePolicy(parsePolicyDocument(JSON.stringify(doc), `bench-${n}.json`));
  const compileMs = performance.now() - t0;
  const effects = { allow: 0, hold: 0, deny: 0 };
  for (let i = 0; i < 20_000; i++) evaluate(policy, calls[i & 4095]!, { now: 0 }); // warm-up
  const samples = new Float64Array(CALLS);
  const start = Bun.nanoseconds();
  for (let i = 0; i < CALLS; i++) {
    const t = Bun.nanoseconds();
    const d = evaluate(policy, calls[i & 4095]!, { now: 0 });
    samples[i] = (Bun.nanoseconds() - t) / 1000;
    effects[d.effect]++;
  }
  const wall = (Bun.nanoseconds() - start) / 1e9;
  const sorted = Array.from(samples).sort((a, b) => a - b);
  const s = summarize(sorted);
  return {
    ...s,
    n,
    compileMs,
    p999: sorted[Math.floor(sorted.length * 0.999)]!,
    perSec: CALLS / wall,
    effects,
  };
}

const rows = [10, 100, 1000, 10_000].map(measure);
const base = rows[0]!;
console.log(
  `\n### Policy evaluation (warrant), ${CALLS.toLocaleString("en-US")} decisions per size\n`,
);
console.log(markdownTable(
  [
    "rules",
    "compile ms",
    "p50 µs",
    "p99 µs",
    "p99.9 µs",
    "decisions/s",
    "p99 vs 10 rules",
    "allow/hold/deny",
  ],
  rows.map((r) => [
    r.n.toLocaleString("en-US"),
    fmt(r.compileMs),
    fmt(r.p50),
    fmt(r.p99),
    fmt(r.p999),
    Math.round(r.perSec).toLocaleString("en-US"),
    ratio(r.p99, base.p99),
    `${r.effects.allow}/${r.effects.hold}/${r.effects.deny}`,
  ]),
));
console.log(
  "\nAims: p99 ≤ 20 µs at 1,000 rules, ≤ 50 µs at 10,000 (per-call timing includes ~0.05 µs of timer overhead).",
);
