/**
 * The policy side of the no-regression check: another tree's policy code
 * (its src/core/policy schema.ts, compile.ts and evaluate.ts, e.g. the
 * baseline extracted by bench/baseline.ts) against this tree's, in ONE
 * process, interleaved. Per size (10 … 10,000 rules, bench/policy.ts's
 * workload): each side parses and compiles the same document with its own
 * code and warms up; then `--rounds` rounds each run `--block` decisions on
 * one side and then on the other (the order alternates per round). A
 * side's decisions/s is its decisions over its total time; the ratio's
 * spread is given by the per-round ratios' quartiles.
 *
 * Why not two processes taking turns: on this shared 2-core machine one
 * ~2 s run of bench/policy.ts differs from the next by up to a quarter,
 * more than the 10% the check allows, so nine alternated runs per side
 * still flipped sizes between met and missed, and a real 15% slowdown at
 * 10,000 rules was read as noise. Blocks of ~20 ms on both sides, side by
 * side, see the same machine.
 *
 *   bun bench/policy-ab.ts --baseline DIR [--rounds 40] [--block 20000]
 *
 * Prints JSON: { sizes: { "<rules>": { base, now, ratio, q1, median, q3 } } }.
 */
import { resolve } from "node:path";
import { policyWorkload } from "./lib/policy-workload.ts";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`bench/policy-ab.ts: pass --${name}`);
  return v;
}
const ROUNDS = Number(arg("rounds", "40"));
const BLOCK = Number(arg("block", "20000"));
const SIZES = [10, 100, 1000, 10_000];

type Evaluate = (p: unknown, call: unknown, ctx: { now: number }) => { rules: string[] };
interface Side {
  parse(text: string, file: string): unknown;
  compile(doc: unknown): unknown;
  evaluate: Evaluate;
}

/** A tree's policy code, imported from its own sources (and its own node_modules). */
async function side(root: string): Promise<Side> {
  const dir = `${resolve(root)}/src/core/policy`;
  return {
    parse: (await import(`${dir}/schema.ts`)).parsePolicyDocument,
    compile: (await import(`${dir}/compile.ts`)).compilePolicy,
    evaluate: (await import(`${dir}/evaluate.ts`)).evaluate,
  };
}

const sides = {
  base: await side(arg("baseline")),
  now: await side(resolve(import.meta.dir, "..")),
};
type Name = keyof typeof sides;
let sink = 0;

/** ns to run `count` decisions of `calls` (from `offset`) on one side's policy. */
function block(s: Side, policy: unknown, calls: unknown[], offset: number, count: number): number {
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < count; i++) {
    sink += s.evaluate(policy, calls[(offset + i) & 4095], { now: 0 }).rules.length;
  }
  return Bun.nanoseconds() - t0;
}

const out: Record<string, Record<string, number>> = {};
for (const n of SIZES) {
  const { doc, calls } = policyWorkload(n);
  const text = JSON.stringify(doc);
  const policies = {} as Record<Name, unknown>;
  for (const k of ["base", "now"] as const) {
    policies[k] = sides[k].compile(sides[k].parse(text, `bench-${n}.json`));
    block(sides[k], policies[k], calls, 0, 50_000); // warm-up
  }
  const total = { base: 0, now: 0 };
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = { base: 0, now: 0 };
    for (const k of (r % 2 ? ["now", "base"] : ["base", "now"]) as Name[]) {
      t[k] = block(sides[k], policies[k], calls, r * 977, BLOCK);
      total[k] += t[k];
    }
    ratios.push(t.base / t.now); // > 1: this tree is faster
  }
  ratios.sort((a, b) => a - b);
  const q = (f: number) => ratios[Math.round((ratios.length - 1) * f)]!;
  const row = {
    base: Math.round((BLOCK * ROUNDS) / (total.base / 1e9)),
    now: Math.round((BLOCK * ROUNDS) / (total.now / 1e9)),
    ratio: total.base / total.now,
    q1: q(0.25),
    median: q(0.5),
    q3: q(0.75),
  };
  out[String(n)] = row;
  console.error(
    `policy-ab: ${n} rules: this tree ÷ baseline ${row.ratio.toFixed(3)} ` +
      `(per-round quartiles ${q(0.25).toFixed(3)} / ${q(0.5).toFixed(3)} / ${q(0.75).toFixed(3)})`,
  );
}
if (sink === 0) throw new Error("bench/policy-ab.ts: no decision returned a rule");
console.log(JSON.stringify({ rounds: ROUNDS, block: BLOCK, sizes: out }));
