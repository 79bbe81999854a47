/**
 * Waiting for a held action's fate. Approvals may be written by any process
 * on the same store (the CLI, `warrant serve`), so the wait polls the store:
 * one primary-key read per tick, cheap enough to run every 25 ms. A store
 * that signals commits (PostgreSQL's LISTEN/NOTIFY: Store.watchCommits)
 * wakes the wait instead, with a one-second safety poll.
 */
import { isWarrantError } from "../core/errors.ts";
import { outcomeOf, rejection } from "./outcome.ts";
import type { GovernOutcome } from "./outcome.ts";
import type { ActionRecord } from "../core/records.ts";
import type { Clock, Logger } from "./ports/system.ts";
import type { Store } from "./ports/store.ts";

export interface WaitDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  pollMs?: number;
  /** How long to wait for an execution owned by someone else before answering. */
  execWaitMs?: number;
  /** Sessions whose heartbeat is older than this are considered dead. */
  staleMs?: number;
  /** Pid liveness, for reconciling executions left by a dead process. */
  isAlive?: (pid: number) => boolean;
  /** True once the process is stopping: waits end early with the current answer. */
  stopping?: () => boolean;
  /** Calls `wake` when the process starts stopping (a long wait on a commit signal ends). */
  onStop?: (wake: () => void) => () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sleep `ms`, or less: until the store signals a commit by any process, or the process stops. */
function nap(deps: WaitDeps, ms: number): Promise<void> {
  const { store } = deps;
  if (!store.watchCommits) return sleep(ms).then(() => {});
  return new Promise<void>((resolve) => {
    let offCommit = () => {};
    let offStop = () => {};
    const done = () => {
      clearTimeout(timer);
      offCommit();
      offStop();
      resolve();
    };
    const timer = setTimeout(done, ms);
    offCommit = store.watchCommits!(done);
    if (deps.onStop) offStop = deps.onStop(done);
  });
}

/**
 * Wait until the action is approved (returns it), or has an answer to give
 * (returns the outcome): terminal, expired, still pending when `waitMs` runs
 * out, or unknown. Never waits past the hold's stored deadline.
 */
export async function waitForDecision(
  deps: WaitDeps,
  actionId: string,
  requestId: string,
  waitMs: number,
): Promise<GovernOutcome | { action: ActionRecord }> {
  const { store, clock } = deps;
  // With commit signals, held actions wake on them (a long safety poll remains).
  const poll = deps.pollMs ?? 25;
  const heldPoll = store.watchCommits ? Math.max(poll, 1000) : poll;
  const start = clock.now();
  let a = store.getAction(actionId);
  if (!a) {
    return rejection(
      actionId,
      "unknown_action",
      `no action "${actionId}" in this store; check the action_id`,
    );
  }
  if (requestId && a.request_id !== requestId) {
    return rejection(
      actionId,
      "unknown_action",
      `request "${requestId}" does not belong to action "${actionId}"` +
        (a.request_id ? ` (its request is "${a.request_id}")` : " (it was never held)"),
    );
  }
  for (;;) {
    const now = clock.now();
    if (a.state === "approved") return { action: a };
    if (a.state === "held") {
      const deadline = a.deadline ?? now;
      if (now >= deadline) {
        const expired = expire(deps, a, now);
        if (expired) return expired;
      } else if (now >= start + waitMs || deps.stopping?.()) {
        return outcomeOf(a)!;
      }
    } else if (a.state === "executing") {
      if (now >= start + Math.max(waitMs, deps.execWaitMs ?? 0)) {
        return {
          phase: "failed",
          action_id: a.id,
          kind: "outcome_unknown",
          reason:
            "the action is still executing elsewhere; resume again later for its recorded outcome",
        };
      }
      reconcileIfOwnerDead(deps, a, now);
    } else if (a.state !== "proposed" && a.state !== "allowed") {
      return outcomeOf(a)!;
    }
    const wake = a.state === "held" ? Math.min(start + waitMs, a.deadline ?? now) - now : poll;
    await nap(deps, Math.max(1, Math.min(a.state === "held" ? heldPoll : poll, wake)));
    a = store.getAction(actionId)!;
  }
}

/** held → expired at the deadline; null when someone else moved it first. */
function expire(deps: WaitDeps, a: ActionRecord, now: number): GovernOutcome | null {
  try {
    const rec = deps.store.tx((tx) => {
      const r = tx.transition(a.id, ["held"], "expired", {
        kind: "approval_timeout",
        reason: `no valid approval before the deadline ${
          new Date(a.deadline ?? now).toISOString()
        }`,
      }, now);
      const req = a.request_id ? tx.getRequest(a.request_id) : null;
      if (req && req.state === "pending") tx.resolveRequest(req.id, "expired", now);
      return r;
    });
    return outcomeOf(rec);
  } catch (e) {
    if (isWarrantError(e, "illegal_transition")) return null;
    throw e;
  }
}

/** When the session executing `a` is gone, mark its executions unknown. */
function reconcileIfOwnerDead(deps: WaitDeps, a: ActionRecord, now: number): void {
  const owner = a.executor_session ? deps.store.getSession(a.executor_session) : null;
  const stale = deps.staleMs ?? 30_000;
  const alive = deps.isAlive ?? (() => true);
  if (!owner || owner.ended_at !== null || now - owner.heartbeat_at > stale || !alive(owner.pid)) {
    const marked = deps.store.reconcile(now, stale, alive);
    if (marked.length > 0) {
      deps.logger.log("warn", "marked executions of dead sessions unknown", { actions: marked });
    }
  }
}
