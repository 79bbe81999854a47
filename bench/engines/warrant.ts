/**
 * warrant adapter: the workload as a warrant policy document (one rule per
 * RuleSpec, `when: {amount: {lte|gt: X}}`, default deny), parsed and compiled
 * once, then evaluate() per call.
 */
import { readFileSync } from "node:fs";
import { compilePolicy } from "../../src/core/policy/compile.ts";
import { evaluate } from "../../src/core/policy/evaluate.ts";
import { parsePolicyDocument } from "../../src/core/policy/schema.ts";
import type { ToolCall } from "../../src/core/policy/types.ts";
import type { CallSpec, Engine, RuleSpec } from "./workload.ts";

/** A valid public key (the example policy's): hold rules need approvers, never used here. */
const APPROVER_KEY = (JSON.parse(
  readFileSync(new URL("../../policies/acme.policy.json", import.meta.url), "utf8"),
) as { approvers: Record<string, { key: string }> }).approvers.alice!.key;

/** The warrant policy document for `rules`. */
export function warrantDocument(rules: readonly RuleSpec[]): Record<string, unknown> {
  return {
    policy: `compare-${rules.length}`,
    version: 1,
    default: "deny",
    approvers: { ops: { key: APPROVER_KEY, roles: ["ops"] } },
    rules: rules.map((r) => ({
      id: r.id,
      tool: r.tool,
      when: { amount: { [r.op]: r.limit } },
      effect: r.effect,
      ...(r.effect === "hold" ? { approval: { quorum: 1, roles: ["ops"] } } : {}),
    })),
  };
}

/** Loads `rules` into warrant (parse + compile). */
export function warrantEngine(rules: readonly RuleSpec[]): Engine {
  const policy = compilePolicy(
    parsePolicyDocument(JSON.stringify(warrantDocument(rules)), "compare.policy.json"),
  );
  const ctx = { now: 0 };
  return {
    name: "warrant",
    decide(call: CallSpec) {
      const tc: ToolCall = { tool: call.tool, args: { amount: call.amount } };
      return evaluate(policy, tc, ctx).effect;
    },
  };
}
