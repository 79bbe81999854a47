/**
 * A gate's HTTP face (`warrant runtime gate --http`) on a thread of its own.
 *
 * Why a thread: the gate answers its agent on one event loop, and anything
 * the HTTP face does on that loop delays governs — 300 SSE clients
 * replaying 100,000 events wrote gigabytes through it, and their garbage
 * was collected on the same heap, so the gate's p99 tripled. On its own
 * thread the face has its own loop and heap; the gate's loop only posts a
 * "commits" ping after each commit so that live streams stay immediate.
 *
 * The thread opens the config exactly as `warrant serve` does (its own
 * store connection, policy, bus and checkpoints: a gate beside a `serve`
 * process is already a supported deployment, so nothing here is new to the
 * store). Resolutions posted to it reach the gate through the store, as a
 * `serve` process's do (resumes poll the action or wake on NOTIFY).
 *
 * Messages, parent → thread: {type:"commits"} · {type:"sighup"} · {type:"stop"}
 * thread → parent: {type:"listening", url, hostname, port} ·
 * {type:"failed", code, message} · {type:"stopped"}
 */
import type { Platform, Thread, ThreadPort } from "../app/ports/platform.ts";
import type { ProcessIO } from "../app/ports/runtime.ts";
import { toWarrantError, WarrantError } from "../core/errors.ts";
import type { ErrorCode } from "../core/errors.ts";
import type { HttpHandle } from "./http.ts";
import { keepPolicyCurrent, openRuntime } from "./open.ts";
import type { RuntimeEnv } from "./open.ts";

/** What the gate hands its HTTP thread. */
export interface HttpThreadData {
  face: "http";
  configPath: string;
  listen: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

type FromThread =
  | { type: "listening"; url: string; hostname: string; port: number }
  | { type: "failed"; code: string; message: string }
  | { type: "stopped" };

/** How long `stop` waits for the thread to close its server and store. */
const STOP_MS = 6000;

/** Waits before restarting a thread that ended by itself (the last repeats). */
export const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/** A thread that listens, seen from the gate. */
interface Live {
  thread: Thread;
  /** The next message from it; null once it has ended. */
  next(): Promise<FromThread | null>;
  ended(): boolean;
  /** Resolves when it ends (stopped, crashed or terminated). */
  exited: Promise<void>;
}

/** Start one thread and wait for its first word: listening, or why not (thrown). */
async function launch(platform: Platform, data: HttpThreadData, io: ProcessIO): Promise<
  Live & { first: Extract<FromThread, { type: "listening" }> }
> {
  const thread = platform.startThread(data);
  const waiters: Array<(m: FromThread | null) => void> = [];
  let ended = false;
  let exited!: () => void;
  const exitedP = new Promise<void>((r) => (exited = r));
  const next = () =>
    new Promise<FromThread | null>((resolve) => ended ? resolve(null) : waiters.push(resolve));
  const deliver = (m: FromThread | null) => {
    for (const w of waiters.splice(0)) w(m);
  };
  let threadError: Error | null = null;
  thread.onMessage((m) => deliver(m as FromThread));
  thread.onError((e) => {
    threadError = e;
    io.err(`warrant: the HTTP face's thread failed: ${e.message}`);
  });
  thread.onExit(() => {
    ended = true;
    deliver(null);
    exited();
  });
  const first = await next();
  if (first?.type !== "listening") {
    await thread.terminate();
    if (first?.type === "failed") throw new WarrantError(first.code as ErrorCode, first.message);
    throw new WarrantError(
      "internal_error",
      `the HTTP face's thread ended before listening${
        threadError ? `: ${(threadError as Error).message}` : ""
      }`,
    );
  }
  return { thread, next, ended: () => ended, exited: exitedP, first };
}

/**
 * Start the HTTP face of `configPath` on `listen` in a thread; resolves once
 * it listens (the thread printed the "listening" line), rejects with its
 * error (WarrantError) when it cannot start. `env.bus` commits are pinged
 * to the thread. A thread that ends by itself later (a crash) is logged
 * and started again on the address it had bound, after a growing wait
 * (RESTART_DELAYS_MS): the gate keeps governing meanwhile, and approvers
 * find the endpoint where it was.
 */
export async function startHttpThread(
  platform: Platform,
  env: RuntimeEnv,
  configPath: string,
  listen: string,
  io: ProcessIO,
  restartDelaysMs: readonly number[] = RESTART_DELAYS_MS,
): Promise<HttpHandle & { sighup(): void }> {
  const data = (at: string): HttpThreadData => ({
    face: "http",
    configPath,
    listen: at,
    env: { ...io.env },
    cwd: io.cwd,
  });
  const started = await launch(platform, data(listen), io);
  const { first } = started;
  const bound = first.hostname.includes(":")
    ? `[${first.hostname}]:${first.port}`
    : `${first.hostname}:${first.port}`;
  let live: Live | null = started;
  let stopping: Promise<void> | null = null;
  let restarts = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const supervise = (l: Live) => {
    const since = Date.now();
    void l.exited.then(() => {
      if (stopping || live !== l) return;
      live = null;
      // A thread that had run a while starts the back-off again.
      if (Date.now() - since > 60_000) restarts = 0;
      const wait = restartDelaysMs[Math.min(restarts, restartDelaysMs.length - 1)]!;
      restarts++;
      env.logger.log("error", "the HTTP face's thread ended; starting it again", {
        listen: bound,
        in_ms: wait,
        restarts,
      });
      retry = setTimeout(relaunch, wait);
    });
  };
  const relaunch = () => {
    if (stopping) return;
    launch(platform, data(bound), io).then(
      (l) => {
        if (stopping) {
          void l.thread.terminate();
          return;
        }
        live = l;
        supervise(l);
      },
      (e) => {
        if (stopping) return;
        const wait = restartDelaysMs[Math.min(restarts, restartDelaysMs.length - 1)]!;
        restarts++;
        env.logger.log("error", "the HTTP face's thread cannot start again; retrying", {
          listen: bound,
          error: (e as Error).message,
          in_ms: wait,
        });
        retry = setTimeout(relaunch, wait);
      },
    );
  };
  supervise(started);

  // One ping per turn of the loop however many commits it made.
  let pinged = false;
  env.bus.add({
    name: "http-thread",
    write() {
      if (pinged || live === null) return;
      pinged = true;
      queueMicrotask(() => {
        pinged = false;
        if (live && !live.ended()) live.thread.post({ type: "commits" });
      });
    },
  });
  return {
    url: first.url,
    hostname: first.hostname,
    port: first.port,
    sighup: () => void (live && !live.ended() && live.thread.post({ type: "sighup" })),
    stop() {
      stopping ??= (async () => {
        clearTimeout(retry);
        const l = live;
        if (l && !l.ended()) {
          const done = l.next();
          l.thread.post({ type: "stop" });
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([done, new Promise((r) => (timer = setTimeout(r, STOP_MS)))]);
          clearTimeout(timer);
        }
        await l?.thread.terminate();
      })();
      return stopping;
    },
  };
}

/**
 * In the thread: open the config as `serve` does, listen, tell the parent,
 * then serve until it says stop. Never throws: a failure to start is posted
 * as {type:"failed"} (the gate prints it and exits 1).
 */
export async function runHttpThread(
  platform: Platform,
  data: HttpThreadData,
  parent: ThreadPort,
): Promise<void> {
  const io: ProcessIO = {
    out: (line) => void process.stderr.write(`${line}\n`), // stdout is the gate's protocol
    err: (line) => void process.stderr.write(`${line}\n`),
    env: data.env,
    cwd: data.cwd,
  };
  const pings = new Set<() => void>();
  let stop: (() => void) | null = null;
  const stopAsked = new Promise<void>((r) => (stop = r));
  let env: RuntimeEnv | null = null;
  parent.onMessage((m) => {
    const type = (m as { type?: string }).type;
    if (type === "commits") { for (const l of pings) l(); }
    else if (type === "stop") stop?.();
    else if (type === "sighup" && env?.policy) {
      const r = env.policy.reload("sighup");
      if (r.ok && r.changed) {
        env.logger.log("info", "policy reloaded", {
          trigger: "sighup",
          policy: env.policy.current.id,
          version: env.policy.current.version,
        });
      }
    }
  });
  let http: HttpHandle;
  try {
    env = openRuntime(platform, data.configPath, io, { policy: true });
    const { startHttp } = await import("./http.ts");
    http = await startHttp(platform, env, data.listen, io, {
      commits: (l) => {
        pings.add(l);
        return () => pings.delete(l);
      },
    });
  } catch (e) {
    const err = toWarrantError(e);
    try {
      await env?.close();
    } catch { /* the failure below is what the gate reports */ }
    parent.post({ type: "failed", code: err.code, message: err.message });
    return;
  }
  const stopReloading = keepPolicyCurrent(env, { sighup: false });
  parent.post({ type: "listening", url: http.url, hostname: http.hostname, port: http.port });
  await stopAsked;
  stopReloading();
  await http.stop();
  await env.close();
  parent.post({ type: "stopped" });
}
