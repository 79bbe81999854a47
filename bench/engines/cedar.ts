/**
 * Cedar adapter (@cedar-policy/cedar-wasm). Translation: principal
 * `Agent::"agent"`, action `Action::"call"`, resource `Tool::"tool_N"`,
 * context `{amount}`. An allow rule is a `permit … when { context.amount <= X }`,
 * a deny rule a `forbid … when { context.amount > X }`, and a hold rule a
 * `permit` annotated `@effect("hold")` whose policy id starts with "hold-".
 * Cedar is default-deny and forbid overrides permit, which gives deny > allow
 * and default deny; hold > allow is read from the same single authorization
 * call: when the decision is allow, `diagnostics.reason` lists every satisfied
 * permit, and if any of them is a hold policy the outcome is hold. The policy
 * set is pre-parsed once (preparsePolicySet) and each call uses
 * statefulIsAuthorized, Cedar's cached-policy-set API.
 */
import { preparsePolicySet, statefulIsAuthorized } from "@cedar-policy/cedar-wasm/nodejs";
import type { CallSpec, Engine, Outcome, RuleSpec } from "./workload.ts";

let nextSet = 0;

/** The Cedar policy text for one rule. */
export function cedarPolicy(r: RuleSpec): string {
  const verb = r.effect === "deny" ? "forbid" : "permit";
  const cmp = r.op === "lte" ? "<=" : ">";
  return `@effect("${r.effect}")\n${verb}(principal, action == Action::"call", resource == Tool::"${r.tool}")\n  when { context.amount ${cmp} ${r.limit} };`;
}

/** Loads `rules` into a pre-parsed Cedar policy set. @throws Error when Cedar rejects it. */
export function cedarEngine(rules: readonly RuleSpec[]): Engine {
  const id = `compare-${nextSet++}`;
  const staticPolicies: Record<string, string> = {};
  for (const r of rules) staticPolicies[r.id] = cedarPolicy(r);
  const parsed = preparsePolicySet(id, { staticPolicies });
  if (parsed.type !== "success") {
    throw new Error(`cedar: cannot parse the policy set: ${JSON.stringify(parsed.errors[0])}`);
  }
  const principal = { type: "Agent", id: "agent" };
  const action = { type: "Action", id: "call" };
  return {
    name: "cedar",
    decide(call: CallSpec): Outcome {
      const a = statefulIsAuthorized({
        principal,
        action,
        resource: { type: "Tool", id: call.tool },
        context: { amount: call.amount },
        preparsedPolicySetId: id,
        entities: [],
      });
      if (a.type !== "success") throw new Error(`cedar: ${JSON.stringify(a.errors[0])}`);
      if (a.response.decision === "deny") return "deny";
      for (const p of a.response.diagnostics.reason) if (p.startsWith("hold-")) return "hold";
      return "allow";
    },
  };
}
