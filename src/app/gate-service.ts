/**
 * The gate's use case, independent of any transport: decide a proposed call,
 * record the decision (with its budget and rate counters, its approval
 * request, its write-ahead intent) in one transaction, and only then run the
 * body through a ToolRunner; resume held actions exactly once.
 *
 * Fail closed: anything unexpected on this path becomes a recorded
 * `internal_error` rejection, never an execution.
 */
import { toWarrantError } from "../core/errors.ts";
import { evaluate } from "../core/policy/evaluate.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import { storeCounters } from "./counters.ts";
import { executeAction } from "./execute.ts";
import type { HoldPolicyLookup } from "./hold-policy.ts";
import { recordDecision } from "./record-decision.ts";
import { cannotRun, LOST_RACE, startApproved } from "./start-approved.ts";
import type { ResumeScope } from "./start-approved.ts";
import type { ToolRunner } from "./ports/tool-runner.ts";
import { outcomeOf, rejection } from "./outcome.ts";
import { StoreRecovery } from "./store-recovery.ts";
import type { ToolOutcome } from "./ports/tool-runner.ts";
import type { GovernOutcome } from "./outcome.ts";
import type { ActionOrigin, ActionRecord, NewAction } from "../core/records.ts";
import type { Clock, Ids, Logger } from "./ports/system.ts";
import type { Store } from "./ports/store.ts";
import { findAttachable } from "./repeat-call.ts";
import { waitForDecision } from "./resume.ts";
import type { WaitDeps } from "./resume.ts";

export interface GateDeps extends WaitDeps {
  store: Store;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** The active policy (reloads swap it). */
  policy: () => CompiledPolicy;
  /** The verified policy that made a hold: approvals are re-verified against it before a start. */
  holdPolicy: HoldPolicyLookup;
  project: string;
  sessionId: string;
  defaultHoldTimeoutMs: number;
}

export interface GovernRequest {
  tool: string;
  args: Record<string, unknown>;
  correlation_id?: string | null;
  origin?: ActionOrigin;
  idempotency_key?: string | null;
  /** The face the call came through (e.g. "mcp stdio: npx server"), recorded with the action. */
  via?: string | null;
}

/** Decide and (when allowed) run calls for one session. */
export class GateService {
  /** Executions in flight in this process, by action id: duplicate resumes share them. */
  private readonly inflight = new Map<string, Promise<GovernOutcome>>();

  /** What was answered while the store could not write, recorded once it can. */
  private readonly recovery = new StoreRecovery();
  private readonly execDeps;

  constructor(readonly deps: GateDeps) {
    this.execDeps = {
      ...deps,
      onUnrecorded: (id: string, out: ToolOutcome) => this.recovery.noteOutcome(id, out),
    };
  }

  /**
   * Record what was answered while the store could not write (store.recovered),
   * if anything; false while it still cannot. Called before each govern and
   * by the gate's heartbeat.
   */
  recover(): boolean {
    return this.recovery.recover(this.deps.store, this.deps.clock, this.deps.logger);
  }

  /**
   * Propose a call. `registered` says whether the session may run this tool;
   * an unregistered tool is a recorded rejection (unregistered_tool).
   */
  async govern(
    req: GovernRequest,
    registered: boolean,
    runner: ToolRunner,
  ): Promise<GovernOutcome> {
    // In progress until answered: a lone govern commits without waiting a
    // loop turn for company (Store.work).
    const done = this.deps.store.work();
    try {
      return await this.governOnce(req, registered, runner);
    } finally {
      done();
    }
  }

  private async governOnce(
    req: GovernRequest,
    registered: boolean,
    runner: ToolRunner,
  ): Promise<GovernOutcome> {
    const { store, clock, ids } = this.deps;
    const id = ids.next("action");
    if (!this.recovery.idle) this.recover();
    let action: ActionRecord;
    const repeat: { prior: ActionRecord | null } = { prior: null };
    try {
      action = await store.txAsync((tx) => {
        const now = clock.now();
        // Looked up inside the transaction that would insert: two concurrent
        // calls with one key (in any process) serialise here, and the second
        // finds the first instead of failing on the unique index.
        if (req.idempotency_key) {
          repeat.prior = tx.findActionByIdempotencyKey(req.idempotency_key);
          if (repeat.prior) return repeat.prior;
        }
        const proposed = this.newAction(id, req, now);
        if (!registered) {
          return tx.insertAction(proposed, [{
            to: "denied",
            patch: {
              effect: "deny",
              kind: "unregistered_tool",
              reason:
                `tool "${req.tool}" was not registered in this session; register_tool it first`,
            },
          }]);
        }
        const policy = this.deps.policy();
        const d = evaluate(policy, this.call(req), { now, counters: storeCounters(tx, now) });
        return recordDecision(tx, this.deps, {
          action: proposed,
          id,
          decision: d,
          policy,
          now,
          tool: req.tool,
          args: req.args,
        });
      });
    } catch (e) {
      return this.failClosed(id, req, e);
    }
    if (repeat.prior) return await this.repeatOf(repeat.prior);
    if (action.state !== "executing") return outcomeOf(action)!;
    return this.track(action.id, executeAction(this.execDeps, action, runner));
  }

  /**
   * Propose a call from a face whose clients repeat a held call instead of
   * resuming it (MCP): a repeat of a held call (same tool, arguments and
   * `via`, within its window, see repeat-call.ts) attaches to that action —
   * waits for it, runs it once when approved, answers its recorded outcome
   * after — and a new hold is waited on for up to `waitMs`.
   */
  async governOrAttach(
    req: GovernRequest & { via: string },
    runner: ToolRunner,
    scope: ResumeScope,
    waitMs: number,
  ): Promise<GovernOutcome> {
    let prior: ActionRecord | null = null;
    try {
      prior = findAttachable(this.deps.store, req, this.deps.clock.now());
    } catch (e) {
      return this.failClosed(this.deps.ids.next("action"), req, e);
    }
    if (prior) return await this.resume(prior.id, prior.request_id!, waitMs, runner, scope);
    const first = await this.govern(req, scope.registered(req.tool), runner);
    if (first.phase !== "pending_approval" || waitMs <= 0) return first;
    return await this.resume(first.action_id, first.request_id ?? "", waitMs, runner, scope);
  }

  /** The recorded action (for a face that describes a hold: its rules, its deadline), or null. */
  action(id: string): ActionRecord | null {
    return this.deps.store.getAction(id);
  }

  /**
   * Re-present a held (or any) action. Waits up to `waitMs` (never past the
   * deadline) for approvals written by any process on the store.
   */
  async resume(
    actionId: string,
    requestId: string,
    waitMs: number,
    runner: ToolRunner,
    canRun: ResumeScope,
  ): Promise<GovernOutcome> {
    try {
      const running = this.inflight.get(actionId);
      if (running) return await running;
      const a = await waitForDecision(this.waitDeps(), actionId, requestId, waitMs);
      if ("phase" in a) return a;
      // Checked before the intent is committed, so a refusal consumes nothing.
      const refusal = cannotRun(a.action, canRun);
      if (refusal) return refusal;
      const started = this.inflight.has(actionId) ? LOST_RACE : startApproved(this.deps, a.action);
      if (started === LOST_RACE) {
        // Another resume won the compare-and-set: here, share its execution;
        // in another process, wait for the outcome it records.
        const winner = this.inflight.get(actionId);
        if (winner) return await winner;
        const after = await waitForDecision(
          this.deps,
          actionId,
          requestId,
          this.deps.execWaitMs ?? waitMs,
        );
        return "phase" in after ? after : rejection(
          actionId,
          "internal_error",
          "the action is approved but could not be started; resume again",
        );
      }
      if ("phase" in started) return started;
      return await this.track(started.id, executeAction(this.execDeps, started, runner));
    } catch (e) {
      const err = toWarrantError(e);
      this.deps.logger.log("error", "resume failed closed", {
        action_id: actionId,
        code: err.code,
        error: err.message,
      });
      this.recordIncident("resume.failed", actionId, { code: err.code, message: err.message });
      return rejection(actionId, "internal_error", `resume failed: ${err.message}`);
    }
  }

  /**
   * A repeated idempotency key: never runs anything, reports the first
   * action — its outcome once it has one (waiting for an execution in
   * progress elsewhere, up to execWaitMs), else why it cannot answer yet.
   */
  private async repeatOf(prior: ActionRecord): Promise<GovernOutcome> {
    const running = this.inflight.get(prior.id);
    if (running) return await running;
    let a = prior;
    if (a.state === "executing" || a.state === "allowed") {
      const w = await waitForDecision(this.waitDeps(), a.id, "", this.deps.execWaitMs ?? 0);
      if ("phase" in w) return w;
      a = w.action;
    }
    return outcomeOf(a) ?? rejection(
      a.id,
      "precondition_failed",
      `action ${a.id} (same idempotency key) is ${a.state}; ` +
        (a.state === "approved" ? `run it with warrant resume ${a.id}` : "ask again later"),
    );
  }

  /** Record a protocol-level incident (malformed line, late callback...) in the audit log. */
  recordIncident(type: string, actionId: string | null, payload: Record<string, unknown>): void {
    // Group commit: a flood of junk lines costs one fsync per event-loop turn, not one per line.
    const at = this.deps.clock.now();
    this.deps.store.txAsync((tx) => tx.appendEvent({ type, action_id: actionId, payload, at }))
      .catch((e) =>
        this.deps.logger.log("error", "cannot record incident", { type, error: String(e) })
      );
  }

  private stopped = false;

  /** Waits sleeping on a commit signal, woken when the gate stops (resume.ts). */
  private readonly stopWakers = new Set<() => void>();

  private waitDeps() {
    return {
      ...this.deps,
      stopping: () => this.stopped,
      onStop: (wake: () => void) => {
        this.stopWakers.add(wake);
        return () => void this.stopWakers.delete(wake);
      },
    };
  }

  /** Stop waiting: resumes blocked in wait_ms answer at once (pending_approval). */
  stopWaiting(): void {
    this.stopped = true;
    for (const wake of [...this.stopWakers]) wake();
  }

  /** Wait for every execution in flight to finish (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
  }

  private call(req: GovernRequest) {
    return {
      tool: req.tool,
      args: req.args,
      session_id: this.deps.sessionId,
      project: this.deps.project,
    };
  }

  private newAction(id: string, req: GovernRequest, now: number): NewAction {
    return {
      id,
      session_id: this.deps.sessionId,
      project: this.deps.project,
      tool: req.tool,
      args: req.args,
      origin: req.origin ?? "hook",
      correlation_id: req.correlation_id ?? null,
      idempotency_key: req.idempotency_key ?? null,
      via: req.via ?? null,
      at: now,
    };
  }

  private track(id: string, p: Promise<GovernOutcome>): Promise<GovernOutcome> {
    this.inflight.set(id, p);
    return p.finally(() => this.inflight.delete(id));
  }

  private failClosed(id: string, req: GovernRequest, e: unknown): GovernOutcome {
    const err = toWarrantError(e);
    const { store, clock, logger } = this.deps;
    // A store that cannot write is named as such: the caller can retry later.
    const unavailable = err.code === "store_unavailable";
    const kind = unavailable ? "store_unavailable" : "internal_error";
    const reason = unavailable
      ? `refused, nothing executed: the store cannot write (${err.message})`
      : `internal error (failed closed, nothing executed): ${err.message}`;
    logger.log("error", "govern failed closed", {
      action_id: id,
      tool: req.tool,
      code: err.code,
      error: err.message,
    });
    try {
      // The decision's transaction rolled back: record the rejection on its own.
      store.tx((tx) => {
        const now = clock.now();
        if (!tx.getAction(id)) {
          tx.insertAction({ ...this.newAction(id, req, now), idempotency_key: null });
        }
        tx.transition(
          id,
          ["proposed"],
          "denied",
          { effect: "deny", kind, reason: unavailable ? reason : `internal error: ${err.message}` },
          now,
          { code: err.code },
        );
      });
    } catch (e2) {
      // The store itself is failing; the stderr line is the record of last resort,
      // and store.recovered records it once the store writes again.
      logger.log("error", "cannot record the failed-closed rejection", {
        action_id: id,
        error: String(e2),
      });
      if (unavailable || toWarrantError(e2).code === "store_unavailable") {
        this.recovery.noteRefused(id, req.tool, clock.now());
      }
    }
    return rejection(id, kind, reason);
  }
}
