/**
 * Casbin adapter (node-casbin). Translation: request `r = tool, ctx` (ctx is
 * `{amount}`), policy `p = priority, id, tool, op, limit, eft`, matcher
 * `r.tool == p.tool && amountMatch(r.ctx.amount, p.op, p.limit)` (a custom
 * function, Casbin's ABAC extension point), effect `priority(p.eft) || deny`.
 * Priorities encode warrant's precedence: deny rules 1 (eft deny), hold rules
 * 2 and allow rules 3 (eft allow); Casbin sorts policies by priority and the
 * first matching policy decides, so deny > hold > allow, and no match is
 * deny (default deny). enforceExSync returns that policy, whose id tells hold
 * from allow: one enforcement per call.
 */
import { newEnforcer, newModelFromString, StringAdapter } from "casbin";
import type { CallSpec, Engine, Outcome, RuleSpec } from "./workload.ts";

const MODEL = `
[request_definition]
r = tool, ctx

[policy_definition]
p = priority, id, tool, op, limit, eft

[policy_effect]
e = priority(p.eft) || deny

[matchers]
m = r.tool == p.tool && amountMatch(r.ctx.amount, p.op, p.limit)
`;

const PRIORITY = { deny: 1, hold: 2, allow: 3 } as const;

/** amount `op` limit; limit arrives as the policy's string field. */
function amountMatch(amount: unknown, op: string, limit: string): boolean {
  if (typeof amount !== "number") return false;
  const x = Number(limit);
  return op === "lte" ? amount <= x : amount > x;
}

/** The Casbin policy CSV line for one rule. */
export function casbinLine(r: RuleSpec): string {
  const eft = r.effect === "deny" ? "deny" : "allow";
  return `p, ${PRIORITY[r.effect]}, ${r.id}, ${r.tool}, ${r.op}, ${r.limit}, ${eft}`;
}

/** Loads `rules` into a Casbin enforcer (priority-sorted). */
export async function casbinEngine(rules: readonly RuleSpec[]): Promise<Engine> {
  const e = await newEnforcer(
    newModelFromString(MODEL),
    new StringAdapter(rules.map(casbinLine).join("\n")),
  );
  e.addFunction("amountMatch", amountMatch);
  return {
    name: "casbin",
    decide(call: CallSpec): Outcome {
      const [ok, rule] = e.enforceExSync(call.tool, { amount: call.amount });
      if (!ok) return "deny";
      return rule[1]?.startsWith("hold-") ? "hold" : "allow";
    },
  };
}
