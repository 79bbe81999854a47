/**
 * A long-running face's gate session (used by `warrant mcp`): reconcile the
 * executions of dead sessions, open the session row, build the GateService
 * (the same use case the stdio gate runs), heartbeat, and run the actions
 * `warrant resume` asks this session to run. `stop()` ends all of it and
 * closes the runtime.
 */
import { GateService } from "../app/gate-service.ts";
import type { ToolRunner } from "../app/ports/tool-runner.ts";
import type { ResumeScope } from "../app/start-approved.ts";
import { staleAfterMs } from "../app/config.ts";
import { keepPolicyCurrent } from "./open.ts";
import type { RuntimeEnv } from "./open.ts";

export interface GateSession {
  id: string;
  service: GateService;
  /** Who runs the actions `warrant resume` hands to this session (none until set). */
  runRequests?: { runner: ToolRunner; scope: ResumeScope };
  /** Stop timers and policy reloads, end the session row, close the runtime. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Open a gate session on `env` (opened with the policy). Throws WarrantError
 * when the store refuses the session row; nothing stays open then except
 * `env`, which the caller closes.
 */
export function startGateSession(env: RuntimeEnv): GateSession {
  const { config, store, clock, ids, logger } = env;
  const policy = env.policy!;
  const staleMs = staleAfterMs(config);
  const marked = store.reconcile(clock.now(), staleMs, env.isAlive);
  if (marked.length > 0) {
    logger.log("warn", "actions left executing by a dead gate are now unknown (never re-run)", {
      actions: marked,
    });
  }
  const id = ids.next("session");
  store.tx((tx) =>
    tx.openSession({ id, project: config.project, pid: process.pid, at: clock.now() })
  );
  const service = new GateService({
    store,
    clock,
    ids,
    logger,
    policy: () => policy.current,
    holdPolicy: (id, version) => policy.policyOf(id, version),
    project: config.project,
    sessionId: id,
    defaultHoldTimeoutMs: config.gate.default_hold_timeout_ms,
    execWaitMs: config.gate.tool_exec_timeout_ms + 5000,
    staleMs,
    isAlive: env.isAlive,
  });
  const session: GateSession = { id, service, stop: async () => {} };
  const timers = sessionTimers(env, id, service, () => session.runRequests);
  const stopReloading = keepPolicyCurrent(env);
  let stopping: Promise<void> | null = null;
  session.stop = () =>
    stopping ??= (async () => {
      for (const t of timers) clearInterval(t);
      stopReloading();
      service.stopWaiting();
      await service.drain();
      try {
        store.tx((tx) => tx.endSession(id, clock.now()));
      } catch (e) {
        logger.log("warn", "cannot record the session end", { error: String(e) });
      }
      await env.close();
    })();
  return session;
}

/**
 * The timers every gate session runs, stdio or MCP: a heartbeat (which also
 * records what was answered while the store could not write, once it can),
 * and the claim loop for the actions `warrant resume` hands to this session.
 * `runRequests()` says who runs them; none yet means leave them queued.
 */
export function sessionTimers(
  env: RuntimeEnv,
  sessionId: string,
  service: GateService,
  runRequests: () => { runner: ToolRunner; scope: ResumeScope } | undefined,
): Array<ReturnType<typeof setInterval>> {
  const { config, store, clock, logger } = env;
  return [
    setInterval(() => {
      try {
        service.recover();
        store.tx((tx) => tx.heartbeat(sessionId, clock.now()));
      } catch (e) {
        logger.log("warn", "heartbeat failed", { error: String(e) });
      }
    }, config.gate.heartbeat_ms),
    setInterval(() => {
      const rr = runRequests();
      if (!rr) return;
      try {
        for (const r of store.pendingRunRequests(sessionId)) {
          let claimed = false;
          try {
            claimed = store.tx((tx) => tx.claimRunRequest(r.id, clock.now()));
          } catch (e) {
            logger.log("warn", "cannot claim a run request", { id: r.id, error: String(e) });
          }
          if (!claimed) continue;
          const a = store.getAction(r.action_id);
          void service.resume(r.action_id, a?.request_id ?? "", 0, rr.runner, rr.scope);
        }
      } catch (e) {
        // A store that cannot be read (PostgreSQL away): try again on the next tick.
        logger.log("warn", "cannot read run requests", { error: String(e) });
      }
    }, 100),
  ];
}
