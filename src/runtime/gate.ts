/**
 * The stdio gate, assembled: the sidecar an agent's hook spawns
 * (`warrant runtime gate`). Start-up order is the contract: config → store → reconcile crashed
 * sessions → policy → session row → `ready`. Any failure before `ready`
 * exits 1 with one line on stderr.
 */
import { GateService } from "../app/gate-service.ts";
import { toWarrantError } from "../core/errors.ts";
import { StdioGate } from "../transport/stdio-gate.ts";
import { staleAfterMs, storeLocator } from "../app/config.ts";
import type { Platform } from "../app/ports/platform.ts";
import type { GateStdio, ProcessIO } from "../app/ports/runtime.ts";
import { EXIT } from "../cli/io.ts";
import { keepPolicyCurrent, openFace, roundedTimes, sinceStart } from "./open.ts";
import { sessionTimers } from "./gate-session.ts";
import type { HttpHandle } from "./http.ts";
import type { RuntimeEnv } from "./open.ts";

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

/**
 * Open `configPath` and serve the stdio gate on this process's stdin/stdout
 * until stdin closes, a shutdown message arrives or SIGTERM/SIGINT;
 * `httpListen` also serves the HTTP face in this process. Returns the exit
 * code; prints why on stderr (one line) when the gate cannot start.
 */
export async function runGate(
  platform: Platform,
  configPath: string,
  httpListen: string | undefined,
  io: ProcessIO,
  stdio: GateStdio,
): Promise<number> {
  const env = openFace(platform, "gate", configPath, io);
  if (!env) return EXIT.error;
  return await serveGate(platform, env, io, httpListen, stdio);
}

async function serveGate(
  platform: Platform,
  env: RuntimeEnv,
  io: ProcessIO,
  httpListen: string | undefined,
  stdio: GateStdio,
): Promise<number> {
  const { config, store, clock, ids, logger } = env;
  const policy = env.policy!;
  const sessionId = ids.next("session");
  let http: (HttpHandle & { sighup(): void }) | null = null;
  const staleMs = staleAfterMs(config);
  const opened = sinceStart();
  try {
    reconcileOnStart(env);
    store.tx((tx) =>
      tx.openSession({ id: sessionId, project: config.project, pid: process.pid, at: clock.now() })
    );
    if (httpListen !== undefined) {
      // The HTTP face on a thread of its own: its requests, streams and
      // garbage never delay a govern (runtime/http-thread.ts).
      const { startHttpThread } = await import("./http-thread.ts");
      http = await startHttpThread(platform, env, env.config.file, httpListen, io);
    }
  } catch (e) {
    const err = toWarrantError(e);
    io.err(`warrant: gate not started: ${err.message} [${err.code}]`);
    try {
      if (store.getSession(sessionId)) store.tx((tx) => tx.endSession(sessionId, clock.now()));
    } catch { /* the line above already says why; the next gate's reconcile ends it otherwise */ }
    await env.close();
    return EXIT.error;
  }
  const sessionOpened = sinceStart();
  const service = new GateService({
    store,
    clock,
    ids,
    logger,
    policy: () => policy.current,
    holdPolicy: (id, version) => policy.policyOf(id, version),
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
    write: (line, hold) => stdio.write(line, hold),
    ready: {
      session_id: sessionId,
      project_id: config.project,
      store: storeLocator(config),
      policy: { id: policy.current.id, version: policy.current.version },
    },
    maxLineBytes: config.gate.max_line_bytes,
    toolTimeoutMs: config.gate.tool_exec_timeout_ms,
    register: (name) => {
      store.tx((tx) => tx.registerTool(sessionId, name, clock.now()));
      return policy.current.requiredLevel(name);
    },
  });

  // Heartbeat, and the resumes `warrant resume` asks of this session.
  const timers = sessionTimers(
    env,
    sessionId,
    service,
    () => ({ runner: gate, scope: gate.scope }),
  );

  const stopReloading = keepPolicyCurrent(env, { onSighup: () => http?.sighup() });

  let stopping: Promise<void> | null = null;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (how: "graceful" | "hook_gone" | "signal", why: string) => {
    stopping ??= (async () => {
      logger.log("info", "gate stopping", { reason: why });
      if (how === "signal") {
        // Stop within seconds whatever is outstanding (a run_tool may never be answered).
        await gate.interrupt(why);
        await Promise.race([http?.stop(), new Promise((r) => setTimeout(r, 1000))]);
      } else {
        await gate.stop(how === "hook_gone");
        await http?.stop();
      }
      for (const t of timers) clearInterval(t);
      stopReloading();
      try {
        store.tx((tx) => tx.endSession(sessionId, clock.now()));
      } catch (e) {
        logger.log("warn", "cannot record the session end", { error: String(e) });
      }
      // A signal stops within seconds: a hung event destination does not hold the exit.
      if (how === "signal") {
        await Promise.race([
          env.close(),
          new Promise((r) => setTimeout(r, 1500)),
        ]);
      } else await env.close();
    })().finally(stopped);
    return stopping;
  };
  gate.onShutdown = () => void stop("graceful", "shutdown message");
  const onTerm = () => void stop("signal", "SIGTERM");
  const onInt = () => void stop("signal", "SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);

  gate.start();
  platform.steadyState();
  // Where the start went (WARRANT_LOG=debug; bench/startup.ts reads it).
  const ready = sinceStart();
  logger.log("debug", "gate ready", {
    ...roundedTimes({
      ready_ms: ready,
      ...env.startup,
      session_ms: sessionOpened - opened,
      serve_ms: ready - sessionOpened,
    }),
  });
  stdio.onData((chunk) => gate.push(chunk));
  stdio.onEnd((why) => void stop("hook_gone", why));
  await done;
  process.off("SIGTERM", onTerm);
  process.off("SIGINT", onInt);
  stdio.flush?.();
  await stdio.drain?.();
  stdio.pause();
  return EXIT.ok;
}
