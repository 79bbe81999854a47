/**
 * `mcp.hide_denied`: a `tools/list` page without the tools the policy
 * always denies, whatever the arguments (so the agent's model is not
 * offered them). Off by default: hiding is a convenience, never the
 * control — a hidden tool called anyway is still denied by the gate.
 */
import type { CompiledPolicy } from "../core/policy/compile.ts";
import { ListToolsResultSchema } from "../protocol/mcp-messages.ts";

/** True when no call of `tool` can be allowed or held under `policy`. */
export function alwaysDenied(policy: CompiledPolicy, tool: string): boolean {
  const rules = policy.candidates(tool);
  if (rules.some((r) => r.effect === "deny" && r.when === null)) return true;
  return rules.length === 0 && policy.default === "deny";
}

/**
 * The `tools/list` response `m` without always-denied tools (the policy sees
 * `prefix + name`). Any other shape, or an error response, passes unchanged.
 */
export function filterToolList(
  m: Record<string, unknown>,
  policy: CompiledPolicy,
  prefix: string,
): Record<string, unknown> {
  const r = ListToolsResultSchema.safeParse(m.result);
  if (!r.success) return m;
  const tools = r.data.tools.filter((t) => !alwaysDenied(policy, `${prefix}${t.name}`));
  return { ...m, result: { ...r.data, tools } };
}
