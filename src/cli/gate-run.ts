/**
 * `warrant runtime gate --config FILE`: the stdio sidecar an agent's hook
 * spawns. Start-up order is the contract: config → store → reconcile crashed
 * sessions → policy → session row → `ready`. Any failure before `ready`
 * exits 1 with one line on stderr.
 */
import { GateService } from "../app/gate-service.ts";
import { toWarrantError } from "../core/errors.ts";
import { StdioGate } from "../transport/stdio-gate.ts";
import { EXIT, flagString, requireFlag } from "./io.ts";
import type { CliIO, Verb } from "./io.ts";
import { keepPolicyCurrent, openFace, staleAfterMs } from "./runtime-env.ts";
import { startHttp } from "./serve.ts";
import type { HttpHandle } from "./serve.ts";
import type { RuntimeEnv } from "./runtime-env.ts";

const HELP = `warrant runtime gate — the stdio gate (NDJSON) an agent's hook talks to

Usage: warrant runtime gate --config FILE [--http HOST:PORT]

Reads requests from stdin and writes replies to stdout, one JSON object per
line (see protocol.md); diagnostics go to stderr as JSON lines.

Flags:
  --config FILE      warrant.json (required)
  --http HOST:PORT   also serve the HTTP approval endpoint in this process

Signals: SIGHUP reloads the policy; SIGTERM stops cleanly (exit 0).

Example:
  warrant runtime gate --config ./warrant.json`;

/** Mark executing actions of dead sessions unknown before serving anyone. */
function reconcileOnStart(env: RuntimeEnv): void {
  const staleMs = staleAfterMs(env.config);
  const marked = env.store.reconcile(env.clock.now(), staleMs, env.isAlive);
  if (marked.length > 0) {
    env.logger.log("warn", "actions left executing by a dead gate are now unknown (never re-run)", {
      actions: marked,
    });
  }
}

export const runtimeGateVerb: Verb = {
  name: "runtime gate",
  summary: "run the stdio gate (the process an agent's hook spawns)",
  help: HELP,
  flags: { config: { type: "string" }, http: { type: "string" } },
  async run(args, io) {
    const configPath = requireFlag(args, "config", "the path to warrant.json");
    const env = openFace("gate", configPath, io);
    if (!env) return EXIT.error;
    return await serveGate(env, io, flagString(args, "http"));
  },
};

async function serveGate(
  env: RuntimeEnv,
  io: CliIO,
  httpListen: string | undefined,
): Promise<number> {
  const { config, store, clock, ids, logger } = env;
  const policy = env.policy!;
  const sessionId = ids.next("session");
  let http: HttpHandle | null = null;
  const staleMs = staleAfterMs(config);
  try {
    reconcileOnStart(env);
    store.tx((tx) =>
      tx.openSession({ id: sessionId, project: config.project, pid: process.pid, at: clock.now() })
    );
    if (httpListen !== undefined) http = await startHttp(env, httpListen, io);
  } catch (e) {
    const err = toWarrantError(e);
    io.err(`warrant: gate not started: ${err.message} [${err.code}]`);
    try {
      if (store.getSession(sessionId)) store.tx((tx) => tx.endSession(sessionId, clock.now()));
    } catch { /* the line above already says why; the next gate's reconcile ends it otherwise */ }
    await env.close();
    return EXIT.error;
  }
  const service = new GateService({
    store,
    clock,
    ids,
    logger,
    policy: () => policy.current,
    project: config.project,
    sessionId,
    defaultHoldTimeoutMs: config.gate.default_hold_timeout_ms,
    execWaitMs: config.gate.tool_exec_timeout_ms + 5000,
    staleMs,
    isAlive: env.isAlive,
  });
  const gate = new StdioGate({
    service,
    logger,
    write: (line) => process.stdout.write(line),
    ready: {
      session_id: sessionId,
      project_id: config.project,
      store: config.store.path,
      policy: { id: policy.current.id, version: policy.current.version },
    },
    maxLineBytes: config.gate.max_line_bytes,
    toolTimeoutMs: config.gate.tool_exec_timeout_ms,
    register: (name) => {
      store.tx((tx) => tx.registerTool(sessionId, name, clock.now()));
      return policy.current.requiredLevel(name);
    },
  });

  const timers: Array<ReturnType<typeof setInterval>> = [];
  timers.push(setInterval(() => {
    try {
      store.tx((tx) => tx.heartbeat(sessionId, clock.now()));
    } catch (e) {
      logger.log("warn", "heartbeat failed", { error: String(e) });
    }
  }, config.gate.heartbeat_ms));
  // Resume requests from `warrant resume` for actions this session owns.
  timers.push(setInterval(() => {
    for (const r of store.pendingRunRequests(sessionId)) {
      let claimed = false;
      try {
        claimed = store.tx((tx) => tx.claimRunRequest(r.id, clock.now()));
      } catch (e) {
        logger.log("warn", "cannot claim a run request", { id: r.id, error: String(e) });
      }
      if (!claimed) continue;
      const a = store.getAction(r.action_id);
      void service.resume(r.action_id, a?.request_id ?? "", 0, gate, gate.scope);
    }
  }, 100));

  const stopReloading = keepPolicyCurrent(env);

  let stopping: Promise<void> | null = null;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (hookGone: boolean, why: string) => {
    stopping ??= (async () => {
      logger.log("info", "gate stopping", { reason: why });
      await gate.stop(hookGone);
      await http?.stop();
      for (const t of timers) clearInterval(t);
      stopReloading();
      try {
        store.tx((tx) => tx.endSession(sessionId, clock.now()));
      } catch (e) {
        logger.log("warn", "cannot record the session end", { error: String(e) });
      }
      await env.close();
    })().finally(stopped);
    return stopping;
  };
  gate.onShutdown = () => void stop(false, "shutdown message");
  const onTerm = () => void stop(false, "SIGTERM");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onTerm);

  gate.start();
  process.stdin.on("data", (chunk: Uint8Array) => gate.push(chunk));
  process.stdin.on("end", () => void stop(true, "stdin closed"));
  process.stdin.on("error", () => void stop(true, "stdin error"));
  await done;
  process.off("SIGTERM", onTerm);
  process.off("SIGINT", onTerm);
  process.stdin.pause();
  return EXIT.ok;
}
