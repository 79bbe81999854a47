/**
 * The shared tool-gate workload for bench/compare.ts and test/bench: an agent
 * calls `tool_N` with an `amount`; each tool has up to three rules (allow
 * when amount ≤ A, hold when amount > H, deny when amount > D) with
 * per-tool thresholds, so their ranges overlap and the effect priority
 * (deny beats hold beats allow, default deny) decides. Some calls name a tool
 * with no rules (default deny). Everything is deterministic (seeded).
 *
 * @example const { rules, calls } = workload(1000, 4096);
 */

/** One engine-neutral rule: `tool` matches exactly, `amount op limit`. */
export interface RuleSpec {
  id: string;
  tool: string;
  op: "lte" | "gt";
  limit: number;
  effect: "allow" | "hold" | "deny";
}

/** One engine-neutral call. `amount` is an integer (Cedar has no decimals here). */
export interface CallSpec {
  tool: string;
  amount: number;
}

/** The three outcomes every engine must produce. */
export type Outcome = "allow" | "hold" | "deny";

/** A small deterministic LCG: the same seed gives the same corpus everywhere. */
export function lcg(seed: number): (m: number) => number {
  let s = seed >>> 0;
  return (m: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % m;
  };
}

/** `n` rules over ceil(n/3) tools, and `count` calls (≈10% to unknown tools). */
export function workload(n: number, count: number, seed = 42): {
  rules: RuleSpec[];
  calls: CallSpec[];
  tools: number;
} {
  const rand = lcg(seed);
  const tools = Math.ceil(n / 3);
  const rules: RuleSpec[] = [];
  for (let t = 0; t < tools && rules.length < n; t++) {
    const tool = `tool_${t}`;
    const allow = 100 + rand(900); // allow when amount ≤ 100..999
    const hold = 50 + rand(1200); // hold when amount > 50..1249 (overlaps allow)
    const deny = hold + 100 + rand(800); // deny when amount > hold+100..
    rules.push({ id: `allow-${t}`, tool, op: "lte", limit: allow, effect: "allow" });
    if (rules.length < n) {
      rules.push({ id: `hold-${t}`, tool, op: "gt", limit: hold, effect: "hold" });
    }
    if (rules.length < n) {
      rules.push({ id: `deny-${t}`, tool, op: "gt", limit: deny, effect: "deny" });
    }
  }
  const calls: CallSpec[] = [];
  const span = Math.ceil(tools * 1.1) + 1;
  for (let i = 0; i < count; i++) {
    calls.push({ tool: `tool_${rand(span)}`, amount: rand(1600) });
  }
  return { rules, calls, tools };
}

/** The reference semantics (deny > hold > allow, default deny), for tests. */
export function referenceDecide(rules: readonly RuleSpec[], call: CallSpec): Outcome {
  let out: Outcome = "deny";
  let any = false;
  for (const r of rules) {
    if (r.tool !== call.tool) continue;
    const hit = r.op === "lte" ? call.amount <= r.limit : call.amount > r.limit;
    if (!hit) continue;
    if (r.effect === "deny") return "deny";
    if (r.effect === "hold" || !any) out = r.effect;
    any = true;
  }
  return any ? out : "deny";
}

/** An engine under test: load once, then decide many calls synchronously. */
export interface Engine {
  readonly name: string;
  decide(call: CallSpec): Outcome;
  close?(): void;
}

/** Builds an engine from rules; `loadMs` is measured by the caller. */
export type EngineFactory = (rules: readonly RuleSpec[]) => Engine | Promise<Engine>;
