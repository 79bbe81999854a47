/**
 * The gate's use case, independent of any transport: decide a proposed call,
 * record the decision (with its budget and rate counters, its approval
 * request, its write-ahead intent) in one transaction, and only then run the
 * body through a ToolRunner; resume held actions exactly once.
 *
 * Fail closed: anything unexpected on this path becomes a recorded
 * `internal_error` rejection, never an execution.
 */
import { actionDigest } from "../core/digest.ts";
import { isWarrantError, toWarrantError } from "../core/errors.ts";
import { evaluate } from "../core/policy/evaluate.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import type { Decision } from "../core/policy/types.ts";
import { recordCounters, storeCounters } from "./counters.ts";
import { executeAction } from "./execute.ts";
import type { ToolRunner } from "./execute.ts";
import { outcomeOf, rejection } from "./outcome.ts";
import type { GovernOutcome } from "./outcome.ts";
import type {
  ActionOrigin,
  ActionRecord,
  Clock,
  Ids,
  Logger,
  NewAction,
  ResolutionRecord,
  Store,
} from "./ports.ts";
import { waitForDecision } from "./resume.ts";
import type { WaitDeps } from "./resume.ts";

export interface GateDeps extends WaitDeps {
  store: Store;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** The active policy (reloads swap it). */
  policy: () => CompiledPolicy;
  project: string;
  sessionId: string;
  defaultHoldTimeoutMs: number;
}

/** Who is resuming: hook sessions run hook actions of tools they registered; the CLI runs declared tools. */
export interface ResumeScope {
  origin: ActionOrigin;
  registered: (tool: string) => boolean;
}

export interface GovernRequest {
  tool: string;
  args: Record<string, unknown>;
  correlation_id?: string | null;
  origin?: ActionOrigin;
  idempotency_key?: string | null;
}

/** startApproved's answer when another resume committed the intent first. */
const LOST_RACE: unique symbol = Symbol("lost_race");

/**
 * The approval lease: an approved action may start only while every approving
 * resolution is still valid, i.e. before the earliest `expires_at` among them.
 */
export function leaseEnd(resolutions: ResolutionRecord[]): number | null {
  let end: number | null = null;
  for (const r of resolutions) {
    if (r.decision !== "approve") continue;
    try {
      const t = Date.parse((JSON.parse(r.document) as { expires_at: string }).expires_at);
      if (Number.isFinite(t)) end = end === null ? t : Math.min(end, t);
    } catch {
      // Documents are verified before they are stored; an unreadable one sets no lease.
    }
  }
  return end;
}

/** Decide and (when allowed) run calls for one session. */
export class GateService {
  /** Executions in flight in this process, by action id: duplicate resumes share them. */
  private readonly inflight = new Map<string, Promise<GovernOutcome>>();

  constructor(readonly deps: GateDeps) {}

  /**
   * Propose a call. `registered` says whether the session may run this tool;
   * an unregistered tool is a recorded rejection (unregistered_tool).
   */
  async govern(
    req: GovernRequest,
    registered: boolean,
    runner: ToolRunner,
  ): Promise<GovernOutcome> {
    const { store, clock, ids } = this.deps;
    const id = ids.next("action");
    let action: ActionRecord;
    try {
      if (req.idempotency_key) {
        const prior = store.findActionByIdempotencyKey(req.idempotency_key);
        if (prior) {
          return outcomeOf(prior) ??
            (await this.resume(prior.id, prior.request_id ?? "", 0, runner));
        }
      }
      action = await store.txAsync((tx) => {
        const now = clock.now();
        tx.insertAction(this.newAction(id, req, now));
        if (!registered) {
          return tx.transition(id, ["proposed"], "denied", {
            effect: "deny",
            kind: "unregistered_tool",
            reason: `tool "${req.tool}" was not registered in this session; register_tool it first`,
          }, now);
        }
        const policy = this.deps.policy();
        const d = evaluate(policy, this.call(req), { now, counters: storeCounters(tx, now) });
        return this.recordDecision(tx, id, d, policy, now, req);
      });
    } catch (e) {
      return this.failClosed(id, req, e);
    }
    if (action.state !== "executing") return outcomeOf(action)!;
    return this.track(action.id, executeAction(this.deps, action, runner));
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
    canRun: ResumeScope = { origin: "hook", registered: () => true },
  ): Promise<GovernOutcome> {
    try {
      const running = this.inflight.get(actionId);
      if (running) return await running;
      const a = await waitForDecision(this.waitDeps(), actionId, requestId, waitMs);
      if ("phase" in a) return a;
      // Checked before the intent is committed, so a refusal consumes nothing.
      const refusal = this.cannotRun(a.action, canRun);
      if (refusal) return refusal;
      const started = this.inflight.has(actionId) ? LOST_RACE : this.startApproved(a.action);
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
      return await this.track(started.id, executeAction(this.deps, started, runner));
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

  /** Why this caller may not run an approved action (nothing is changed), or null. */
  private cannotRun(a: ActionRecord, scope: ResumeScope): GovernOutcome | null {
    if (a.origin !== scope.origin) {
      return rejection(
        a.id,
        "precondition_failed",
        a.origin === "declared"
          ? `action ${a.id} is a declared tool's: run it with warrant resume ${a.id}`
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

  /** Record a protocol-level incident (malformed line, late callback...) in the audit log. */
  recordIncident(type: string, actionId: string | null, payload: Record<string, unknown>): void {
    try {
      this.deps.store.tx((tx) =>
        tx.appendEvent({ type, action_id: actionId, payload, at: this.deps.clock.now() })
      );
    } catch (e) {
      this.deps.logger.log("error", "cannot record incident", { type, error: String(e) });
    }
  }

  private stopped = false;

  private waitDeps() {
    return { ...this.deps, stopping: () => this.stopped };
  }

  /** Stop waiting: resumes blocked in wait_ms answer at once (pending_approval). */
  stopWaiting(): void {
    this.stopped = true;
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
      at: now,
    };
  }

  private track(id: string, p: Promise<GovernOutcome>): Promise<GovernOutcome> {
    this.inflight.set(id, p);
    return p.finally(() => this.inflight.delete(id));
  }

  private recordDecision(
    tx: Parameters<Parameters<Store["tx"]>[0]>[0],
    id: string,
    d: Decision,
    policy: CompiledPolicy,
    now: number,
    req: GovernRequest,
  ): ActionRecord {
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
      return tx.transition(
        id,
        ["proposed"],
        "denied",
        { ...base, kind: d.kind ?? "policy_denied" },
        now,
        why,
      );
    }
    recordCounters(tx, d, id, now);
    if (d.effect === "allow") {
      // An allow's reason is "allowed by RULES": derivable, so not stored twice per action.
      const { reason: _derived, ...allowed } = base;
      tx.transition(id, ["proposed"], "allowed", allowed, now, why);
      return tx.transition(
        id,
        ["allowed"],
        "executing",
        { executor_session: this.deps.sessionId },
        now,
      );
    }
    const timeouts = d.approvals.map((r) => r.timeout_ms ?? this.deps.defaultHoldTimeoutMs);
    const deadline = now + Math.min(...timeouts, Number.MAX_SAFE_INTEGER);
    const requestId = this.deps.ids.next("request");
    const digest = actionDigest({
      action_id: id,
      session_id: this.deps.sessionId,
      tool: req.tool,
      args: req.args,
      policy: { id: policy.id, version: policy.version },
    });
    tx.insertRequest({
      id: requestId,
      action_id: id,
      requirements: d.approvals,
      rules: d.rules,
      policy_id: policy.id,
      policy_version: policy.version,
      action_digest: digest,
      deadline,
      at: now,
    });
    return tx.transition(
      id,
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

  /**
   * An approved action: re-evaluate the current policy (an approval never
   * bypasses a later deny), then commit the intent. Returns the executing
   * action, or the outcome when it may not run (or another caller won).
   */
  private startApproved(a: ActionRecord): ActionRecord | GovernOutcome | typeof LOST_RACE {
    const { store, clock } = this.deps;
    try {
      return store.tx((tx) => {
        const now = clock.now();
        const policy = this.deps.policy();
        const d = evaluate(policy, {
          tool: a.tool,
          args: a.args,
          session_id: a.session_id,
          project: a.project,
        }, {
          now,
        });
        const lease = leaseEnd(tx.listResolutions(a.request_id ?? ""));
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
        return tx.transition(a.id, ["approved"], "executing", {
          executor_session: this.deps.sessionId,
        }, now);
      });
    } catch (e) {
      if (isWarrantError(e, "illegal_transition")) {
        // Another resume (here or in another process) won the race.
        const now = store.getAction(a.id);
        return (now && outcomeOf(now)) ?? LOST_RACE;
      }
      throw e;
    }
  }

  private failClosed(id: string, req: GovernRequest, e: unknown): GovernOutcome {
    const err = toWarrantError(e);
    const { store, clock, logger } = this.deps;
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
          {
            effect: "deny",
            kind: "internal_error",
            reason: `internal error: ${err.message}`,
          },
          now,
          { code: err.code },
        );
      });
    } catch (e2) {
      // The store itself is failing; the stderr line is the record of last resort.
      logger.log("error", "cannot record the failed-closed rejection", {
        action_id: id,
        error: String(e2),
      });
    }
    return rejection(
      id,
      "internal_error",
      `internal error (failed closed, nothing executed): ${err.message}`,
    );
  }
}
