/**
 * Properties over random policies and calls (seeded, reproducible):
 * rule order never changes a decision, an empty rule set yields the
 * default, a matching unconditional deny always wins.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePolicy } from "../../../src/core/policy/compile.ts";
import { evaluate } from "../../../src/core/policy/evaluate.ts";
import { parsePolicyDocument } from "../../../src/core/policy/schema.ts";
import type { PolicyDocument } from "../../../src/core/policy/schema.ts";

const KEY = (JSON.parse(
  readFileSync(join(import.meta.dir, "../../../policies/acme.policy.json"), "utf8"),
) as PolicyDocument)
  .approvers.alice!.key;

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

const TOOLS = ["pay", "read_a", "read_b", "shell", "deploy", "__proto__"];
const PATTERNS = [...TOOLS, "read_*", "*", "re?d_a", "p*"];

function randomCondition(r: (n: number) => number): Record<string, unknown> {
  const leafs = [
    () => ({ amount: { [["lt", "lte", "gt", "gte"][r(4)]!]: r(200) } }),
    () => ({ env: { [["eq", "ne"][r(2)]!]: ["dev", "prod"][r(2)] } }),
    () => ({ env: { in: ["dev", "staging"] } }),
    () => ({ cmd: { glob: ["*rm*", "ls*", "?"][r(3)] } }),
    () => ({ tag: { exists: r(2) === 0 } }),
    () => ({ cmd: { regex: ["^ls", "rm +-rf", "(a|b)+c$"][r(3)] } }),
  ];
  const leaf = () => leafs[r(leafs.length)]!();
  const k = r(5);
  if (k === 0) return { any: [leaf(), leaf()] };
  if (k === 1) return { not: leaf() };
  if (k === 2) return { all: [leaf(), leaf()] };
  return leaf();
}

function randomPolicy(r: (n: number) => number, n: number): PolicyDocument {
  const rules = Array.from({ length: n }, (_, i) => {
    const effect = (["allow", "hold", "deny"] as const)[r(3)]!;
    return {
      id: `r${i}`,
      tool: r(3) === 0
        ? [PATTERNS[r(PATTERNS.length)]!, PATTERNS[r(PATTERNS.length)]!]
        : PATTERNS[r(PATTERNS.length)]!,
      ...(r(3) > 0 ? { when: randomCondition(r) } : {}),
      effect,
      ...(effect === "hold" ? { approval: { quorum: 1, roles: ["finance"] } } : {}),
    };
  });
  return parsePolicyDocument(
    JSON.stringify({
      policy: "prop",
      version: 1,
      default: r(2) === 0 ? "allow" : "deny",
      approvers: { alice: { key: KEY, roles: ["finance"] } },
      rules,
    }),
    "prop.json",
  );
}

function randomCall(r: (n: number) => number) {
  const args: Record<string, unknown> = {};
  if (r(4) > 0) args.amount = r(4) === 0 ? "12" : r(200);
  if (r(2) === 0) args.env = ["dev", "prod", "staging", 7][r(4)];
  if (r(2) === 0) args.cmd = ["ls -la", "rm -rf /", "abac", "x", "a".repeat(5000) + "!"][r(5)];
  if (r(3) === 0) args.tag = null;
  return { tool: TOOLS[r(TOOLS.length)]!, args, session_id: "s", project: "p" };
}

const decisionOf = (doc: PolicyDocument, call: ReturnType<typeof randomCall>) => {
  const d = evaluate(compilePolicy(doc), call, { now: 0 });
  return { effect: d.effect, rules: d.rules, kind: d.kind, matched: d.matched };
};

test("shuffling rule order never changes the decision (600 policies × 8 calls)", () => {
  const r = prng(20261123);
  for (let i = 0; i < 600; i++) {
    const doc = randomPolicy(r, 1 + r(12));
    const shuffled = { ...doc, rules: [...doc.rules] };
    for (let j = shuffled.rules.length - 1; j > 0; j--) {
      const k = r(j + 1);
      [shuffled.rules[j], shuffled.rules[k]] = [shuffled.rules[k]!, shuffled.rules[j]!];
    }
    for (let c = 0; c < 8; c++) {
      const call = randomCall(r);
      expect(decisionOf(shuffled, call)).toEqual(decisionOf(doc, call));
    }
  }
});

test("an empty rule set yields the default", () => {
  const r = prng(7);
  for (let i = 0; i < 200; i++) {
    const doc = { ...randomPolicy(r, 1), rules: [] };
    const d = evaluate(compilePolicy(doc), randomCall(r), { now: 0 });
    expect(d.effect).toBe(doc.default);
    expect(d.by_default).toBe(true);
    expect(d.rules).toEqual([]);
  }
});

test("a matching unconditional deny always wins", () => {
  const r = prng(99);
  for (let i = 0; i < 400; i++) {
    const doc = randomPolicy(r, r(10));
    const call = randomCall(r);
    doc.rules.splice(r(doc.rules.length + 1), 0, {
      id: "zz-deny",
      tool: call.tool,
      effect: "deny",
    });
    const d = evaluate(compilePolicy(doc), call, { now: 0 });
    expect(d.effect).toBe("deny");
    expect(d.rules).toContain("zz-deny");
  }
});

test("hostile calls evaluate quickly and never throw", () => {
  const doc = randomPolicy(prng(3), 50);
  const p = compilePolicy(doc);
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 10_000; i++) deep = { env: deep };
  const hostile = [
    { amount: 1e308, env: "\ud800", cmd: "a".repeat(60_000) + "!" },
    deep,
    JSON.parse('{"__proto__": {"amount": 1}, "constructor": {"prototype": 1}}'),
    { cmd: "(".repeat(10_000) },
  ];
  const t0 = performance.now();
  for (const args of hostile) for (const tool of TOOLS) evaluate(p, { tool, args }, { now: 0 });
  expect(performance.now() - t0).toBeLessThan(2000); // a guard against exponential blowup, not a benchmark
});
