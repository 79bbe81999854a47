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

const argCalls = process.argv.indexOf("--calls");
const CALLS = argCalls > 0 ? Number(process.argv[argCalls + 1]) : 200_000;
const KEY =
  (JSON.parse(await Bun.file(new URL("../policies/acme.policy.json", import.meta.url)).text()) as {
    approvers: Record<string, { key: string }>;
  }).approvers.alice!.key;

/** A policy of about `n` rules over n/4 tools, and a call generator. */
export function workload(n: number) {
  const tools = Math.max(1, Math.floor(n / 4));
  const rules: unknown[] = [];
  for (let t = 0; t < tools && rules.length < n; t++) {
    rules.push({
      id: `allow-${t}`,
      tool: `tool_${t}`,
      when: { amount: { lte: 100 } },
      effect: "allow",
    });
    rules.push({
      id: `hold-${t}`,
      tool: `tool_${t}`,
      when: { amount: { gt: 100, lte: 1000 } },
      effect: "hold",
      approval: { quorum: 1, roles: ["ops"] },
    });
    rules.push({
      id: `deny-${t}`,
      tool: `tool_${t}`,
      when: { amount: { gt: 1000 } },
      effect: "deny",
    });
    rules.push({
      id: `glob-${t}`,
      tool: `ns${t % 50}_*`,
      when: { env: { eq: "prod" } },
      effect: "deny",
    });
  }
  const doc = {
    policy: `bench-${n}`,
    version: 1,
    default: "deny",
    approvers: { ops: { key: KEY, roles: ["ops"] } },
    rules: rules.slice(0, n),
  };
  let seed = 12345;
  const rand = (m: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % m;
  };
  const calls = Array.from({ length: 4096 }, () => ({
    tool: `tool_${rand(tools)}`,
    args: { amount: [50, 500, 5000][rand(3)], to: "ACME", env: rand(2) ? "prod" : "dev" },
    session_id: "s",
    project: "p",
  }));
  return { doc, calls };
}

function measure(n: number) {
  const { doc, calls } = workload(n);
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
