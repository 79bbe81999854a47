/**
 * What a govern or resume answers, derived from the recorded action: the
 * store is the single source of truth, so a duplicate resume gets exactly
 * the recorded outcome.
 */
import type { ActionRecord } from "../core/records.ts";
import type { GovernResultMessage } from "../protocol/gate-outbound.ts";
import type { RejectionKind } from "../protocol/kinds.ts";

type WithoutEnvelope<T> = T extends unknown ? Omit<T, "type" | "id" | "correlation_id"> : never;

/** The outcome of a govern or resume: a govern_result without its envelope (type, id, correlation). */
export type GovernOutcome = WithoutEnvelope<GovernResultMessage>;

/** The reason with the tool's own text after it (the caller is entitled to both). */
function withDetail(a: ActionRecord, fallback: string): string {
  const reason = a.reason ?? fallback;
  return a.detail ? `${reason}: ${a.detail}` : reason;
}

/** The recorded outcome of an action, or null while it is still in progress. */
export function outcomeOf(a: ActionRecord): GovernOutcome | null {
  switch (a.state) {
    case "completed":
      return { phase: "completed", action_id: a.id, output: a.output ?? null };
    case "failed":
      return {
        phase: "failed",
        action_id: a.id,
        reason: withDetail(a, "the tool failed"),
        kind: a.kind ?? "execution_failed",
      };
    case "unknown":
      return {
        phase: "failed",
        action_id: a.id,
        reason: withDetail(
          a,
          "the gate stopped while the tool was running; its outcome is unknown and it will not be re-run",
        ),
        kind: "outcome_unknown",
      };
    case "denied":
    case "rejected":
    case "expired":
      return {
        phase: "rejected",
        action_id: a.id,
        reason: a.reason ?? "rejected",
        kind: a.kind ?? (a.state === "expired" ? "approval_timeout" : "policy_denied"),
      };
    case "held":
      return {
        phase: "pending_approval",
        action_id: a.id,
        request_id: a.request_id ?? "",
        deadline: new Date(a.deadline ?? 0).toISOString(),
      };
    default:
      return null;
  }
}

/** A rejection that is not (or not yet) an action state, e.g. unknown_action. */
export function rejection(actionId: string, kind: RejectionKind, reason: string): GovernOutcome {
  return { phase: "rejected", action_id: actionId, reason, kind };
}
