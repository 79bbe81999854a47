/**
 * Starting an approved action: who may run it, the approval re-verified
 * from its signed documents (approval_unverified), the approval lease (the
 * earliest expires_at of the verified approvals), the current policy
 * evaluated again (an approval never bypasses a later deny), then the
 * compare-and-set that commits the `executing` intent. Everything that
 * refuses happens before the intent, so a refusal consumes nothing.
 */
import { isWarrantError } from "../core/errors.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import { evaluate } from "../core/policy/evaluate.ts";
import { outcomeOf, rejection } from "./outcome.ts";
import type { GovernOutcome } from "./outcome.ts";
import type { ActionOrigin, ActionRecord } from "../core/records.ts";
import type { Clock } from "./ports/system.ts";
import type { Store } from "./ports/store.ts";
import { checkApprovalAtUse } from "./verify-approvals.ts";
import type { ApprovalCheckDeps } from "./verify-approvals.ts";

/** Who is resuming: hook sessions run hook actions of tools they registered; the CLI runs declared tools. */
export interface ResumeScope {
  origin: ActionOrigin;
  registered: (tool: string) => boolean;
  /** The face this caller serves (null or absent: the stdio hook / the CLI); must match the action's. */
  via?: string | null;
}

/** startApproved's answer when another resume committed the intent first. */
export const LOST_RACE: unique symbol = Symbol("lost_race");

export interface StartDeps extends ApprovalCheckDeps {
  store: Store;
  clock: Clock;
  policy: () => CompiledPolicy;
  sessionId: string;
}

/** Why this caller may not run an approved action (nothing is changed), or null. */
export function cannotRun(a: ActionRecord, scope: ResumeScope): GovernOutcome | null {
  if (a.origin !== scope.origin) {
    return rejection(
      a.id,
      "precondition_failed",
      a.origin === "declared"
        ? `action ${a.id} is a declared tool's: run it with warrant resume ${a.id}`
        : `action ${a.id} belongs to an agent's hook: its gate session runs it`,
    );
  }
  if ((a.via ?? null) !== (scope.via ?? null)) {
    return rejection(
      a.id,
      "precondition_failed",
      a.via
        ? `action ${a.id} came through ${a.via}: repeat the call through that MCP proxy to run it`
        : `action ${a.id} belongs to an agent's hook: its gate session runs it`,
    );
  }
  if (!scope.registered(a.tool)) {
    return rejection(
      a.id,
      "unregistered_tool",
      `tool "${a.tool}" is not registered in this session; register_tool it, then resume again (the action is still approved)`,
    );
  }
  return null;
}

/**
 * Commit the intent for an approved action, or answer why it may not run.
 * Returns the executing action; the recorded outcome when the lease ended
 * or the policy now denies it (both recorded); LOST_RACE when another
 * resume committed the intent first.
 */
export function startApproved(
  deps: StartDeps,
  a: ActionRecord,
): ActionRecord | GovernOutcome | typeof LOST_RACE {
  const { store, clock } = deps;
  try {
    return store.tx((tx) => {
      const now = clock.now();
      // The row says "approved"; the signed documents must say so too.
      const check = checkApprovalAtUse(tx, deps, a);
      if (!check.ok) {
        return outcomeOf(tx.transition(
          a.id,
          ["approved"],
          "rejected",
          {
            kind: "approval_unverified",
            reason: `the approval does not verify from its signed resolutions: ${check.reason}; ` +
              `nothing ran`,
          },
          now,
          { problems: check.problems.slice(0, 20) },
        ))!;
      }
      const lease = check.leaseEnd;
      if (lease !== null && now > lease) {
        return outcomeOf(tx.transition(a.id, ["approved"], "rejected", {
          kind: "lease_expired",
          reason:
            `the approval lease ended at ${
              new Date(lease).toISOString()
            } (the earliest expires_at of ` +
            `the approving resolutions); request a new approval`,
        }, now))!;
      }
      const policy = deps.policy();
      const call = { tool: a.tool, args: a.args, session_id: a.session_id, project: a.project };
      const d = evaluate(policy, call, { now });
      if (d.effect === "deny") {
        return outcomeOf(tx.transition(
          a.id,
          ["approved"],
          "rejected",
          {
            kind: "precondition_failed",
            reason:
              `approved, but the current policy ${policy.id} v${policy.version} now denies it: ${d.reason}`,
            rules: d.rules,
          },
          now,
          { rules: d.rules },
        ))!;
      }
      return tx.transition(
        a.id,
        ["approved"],
        "executing",
        { executor_session: deps.sessionId },
        now,
      );
    });
  } catch (e) {
    if (isWarrantError(e, "illegal_transition")) {
      const current = store.getAction(a.id);
      return (current && outcomeOf(current)) ?? LOST_RACE;
    }
    throw e;
  }
}
