/**
 * Record a decision in the transaction that made it: the action's state,
 * its budget and rate counters, for an allow the write-ahead `executing`
 * intent, for a hold the approval request with its deadline and
 * action_digest (SPEC §5). Events carry only what the action row does not
 * already say.
 */
import { encodeBase64 } from "../core/base64.ts";
import { actionDigest } from "../core/digest.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import type { Decision } from "../core/policy/types.ts";
import { recordCounters } from "./counters.ts";
import type { ActionRecord, NewAction } from "../core/records.ts";
import type { Ids } from "./ports/system.ts";
import type { StoreTx } from "./ports/store.ts";

export interface DecisionDeps {
  ids: Ids;
  sessionId: string;
  defaultHoldTimeoutMs: number;
}

export interface DecisionToRecord {
  /** The proposed action, inserted here together with its decision. */
  action: NewAction;
  id: string;
  decision: Decision;
  policy: CompiledPolicy;
  now: number;
  tool: string;
  args: Record<string, unknown>;
}

/**
 * Insert the proposed action and move it to denied, executing (through
 * allowed) or held. A deny, and an allow that records no counters, are one
 * row write with their events (insertAction's steps); counters and holds
 * keep their events in order: proposed, counter.added…, then the decision.
 * Throws what the store throws; the caller's transaction then rolls back.
 */
export function recordDecision(tx: StoreTx, deps: DecisionDeps, r: DecisionToRecord): ActionRecord {
  const { id, decision: d, policy, now } = r;
  const base = {
    effect: d.effect,
    rules: d.rules,
    reason: d.reason,
    policy_id: policy.id,
    policy_version: policy.version,
  };
  // What the action row does not already say (rules are in the patch).
  const why: Record<string, unknown> = {};
  if (d.matched.join() !== d.rules.join()) why.matched = d.matched;
  if (d.by_default) why.by_default = true;
  if (d.effect === "deny") {
    return tx.insertAction(r.action, [{
      to: "denied",
      patch: { ...base, kind: d.kind ?? "policy_denied" },
      payload: why,
    }]);
  }
  // An allow's reason is "allowed by RULES": derivable, so not stored twice per action.
  const { reason: _derived, ...allowed } = base;
  const intent = { executor_session: deps.sessionId };
  if (d.effect === "allow" && d.spends.length === 0 && d.rates.length === 0) {
    return tx.insertAction(r.action, [
      { to: "allowed", patch: allowed, payload: why },
      { to: "executing", patch: intent },
    ]);
  }
  const proposed = tx.insertAction(r.action);
  recordCounters(tx, d, id, now);
  if (d.effect === "allow") {
    const rec = tx.transition(proposed, ["proposed"], "allowed", allowed, now, why);
    return tx.transition(rec, ["allowed"], "executing", intent, now);
  }
  const timeouts = d.approvals.map((q) => q.timeout_ms ?? deps.defaultHoldTimeoutMs);
  const deadline = now + Math.min(...timeouts, Number.MAX_SAFE_INTEGER);
  const requestId = deps.ids.next("request");
  // A random salt makes the digest of small arguments impossible to invert
  // by guessing; approvers are shown it with the arguments and recompute.
  const salt = encodeBase64(deps.ids.random(16));
  const digest = actionDigest({
    action_id: id,
    session_id: deps.sessionId,
    tool: r.tool,
    args: r.args,
    policy: { id: policy.id, version: policy.version },
    salt,
  });
  tx.insertRequest({
    id: requestId,
    action_id: id,
    requirements: d.approvals,
    rules: d.rules,
    policy_id: policy.id,
    policy_version: policy.version,
    action_digest: digest,
    salt,
    deadline,
    at: now,
  });
  return tx.transition(
    proposed,
    ["proposed"],
    "held",
    { ...base, kind: null, request_id: requestId, deadline },
    now,
    {
      ...why,
      request_id: requestId,
      deadline,
      action_digest: digest,
    },
  );
}
