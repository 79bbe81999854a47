/**
 * The policy bench's workload (bench/policy.ts, bench/policy-ab.ts): a policy
 * of about `n` rules over n/4 tools (per tool an allow, a hold and a deny rule
 * on `amount`, plus a glob deny rule on `env`), and 4,096 calls that pick a
 * random tool, amount and env, so outcomes mix allow, hold and deny.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** An approver key the policy names (from policies/acme.policy.json). */
const KEY = (JSON.parse(
  readFileSync(join(resolve(import.meta.dir, "../.."), "policies/acme.policy.json"), "utf8"),
) as { approvers: Record<string, { key: string }> }).approvers.alice!.key;

/** The document (as JSON-ready data) and the calls, for a policy of about `n` rules. */
export function policyWorkload(n: number): {
  doc: Record<string, unknown>;
  calls: Array<
    { tool: string; args: Record<string, unknown>; session_id: string; project: string }
  >;
} {
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
