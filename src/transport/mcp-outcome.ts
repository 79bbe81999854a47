/**
 * How a governed `tools/call` is answered when warrant, not the upstream,
 * has the answer: a denial, a rejection, a hold still open, a failure, or
 * the recorded result of an action that already ran. Always a tool result
 * (never a transport error, never silence): an agent's model reads the text,
 * a program reads `_meta["warrant/outcome"]`.
 */
import type { GovernOutcome } from "../app/outcome.ts";
import type { ActionRecord } from "../core/records.ts";
import { CallToolResultSchema, OUTCOME_META_KEY } from "../protocol/mcp-messages.ts";
import type { CallToolResult } from "../protocol/mcp-messages.ts";

export interface HoldHint {
  /** The config path to name in the approve command. */
  configPath: string;
}

function meta(o: GovernOutcome): Record<string, unknown> {
  const m: Record<string, unknown> = { phase: o.phase, action_id: o.action_id };
  if ("kind" in o && o.kind) m.kind = o.kind;
  if ("request_id" in o && o.request_id) m.request_id = o.request_id;
  if ("deadline" in o && o.deadline) m.deadline = o.deadline;
  return { [OUTCOME_META_KEY]: m };
}

function textResult(text: string, o: GovernOutcome): CallToolResult & { _meta: object } {
  return { content: [{ type: "text", text }], isError: true, _meta: meta(o) };
}

/**
 * The tool result for an outcome. `action` (the recorded action) names the
 * rules of a hold. A completed outcome answers the recorded upstream result
 * as it was (it is the CallToolResult the upstream returned).
 *
 * @example toolResultFor({ phase: "rejected", action_id: "act_1", kind: "policy_denied", reason: "no" }, null, hint)
 */
export function toolResultFor(
  o: GovernOutcome,
  action: ActionRecord | null,
  hint: HoldHint,
): Record<string, unknown> {
  switch (o.phase) {
    case "completed": {
      const r = CallToolResultSchema.safeParse(o.output);
      if (r.success) return r.data;
      // Not a tool result (cannot happen for MCP actions): hand it over as JSON text.
      return { content: [{ type: "text", text: JSON.stringify(o.output ?? null) }] };
    }
    case "pending_approval": {
      const rules = action && action.rules.length > 0
        ? action.rules.join(", ")
        : "(see warrant show)";
      return textResult(
        `warrant: this call is held for approval (request ${o.request_id}, rule ${rules}, ` +
          `action ${o.action_id}). Nothing ran. Deadline ${o.deadline}. ` +
          `An approver runs: warrant approve ${o.request_id} --key KEY --config ${hint.configPath} ` +
          `(or POSTs a signed resolution to warrant serve). Then call this tool again with the ` +
          `same arguments: it runs once, and repeats answer its recorded result.`,
        o,
      );
    }
    case "rejected":
      return textResult(
        `warrant: refused (${o.kind ?? "rejected"}): ${o.reason ?? "rejected"} ` +
          `[action ${o.action_id}]. Nothing ran.`,
        o,
      );
    case "failed":
      return textResult(
        `warrant: the call failed (${o.kind ?? "execution_failed"}): ${o.reason ?? "failed"} ` +
          `[action ${o.action_id}]`,
        o,
      );
  }
}
