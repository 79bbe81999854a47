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
import type { Platform, ThreadPort } from "../app/ports/platform.ts";
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

/**
 * Start the HTTP face of `configPath` on `listen` in a thread; resolves once
 * it listens (the thread printed the "listening" line), rejects with its
 * error (WarrantError) when it cannot start. `env.bus` commits are pinged
 * to the thread.
 */
export async function startHttpThread(
  platform: Platform,
  env: RuntimeEnv,
  configPath: string,
  listen: string,
  io: ProcessIO,
): Promise<HttpHandle & { sighup(): void }> {
  const data: HttpThreadData = {
    face: "http",
    configPath,
    listen,
    env: { ...io.env },
    cwd: io.cwd,
  };
  const thread = platform.startThread(data);
  const waiters: Array<(m: FromThread | null) => void> = [];
  let ended = false;
  const next = () =>
    new Promise<FromThread | null>((resolve) => ended ? resolve(null) : waiters.push(resolve));
  const deliver = (m: FromThread | null) => {
    for (const w of waiters.splice(0)) w(m);
  };
  let threadError: Error | null = null;
  thread.onMessage((m) => deliver(m as FromThread));
  thread.onError((e) => {
    threadError = e;
    io.err(`warrant: the HTTP thread failed: ${e.message}`);
  });
  thread.onExit(() => {
    ended = true;
    deliver(null);
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
  // One ping per turn of the loop however many commits it made.
  let pinged = false;
  const sink = {
    name: "http-thread",
    write() {
      if (pinged || ended) return;
      pinged = true;
      queueMicrotask(() => {
        pinged = false;
        if (!ended) thread.post({ type: "commits" });
      });
    },
  };
  env.bus.add(sink);
  let stopping: Promise<void> | null = null;
  return {
    url: first.url,
    hostname: first.hostname,
    port: first.port,
    sighup: () => void (!ended && thread.post({ type: "sighup" })),
    stop() {
      stopping ??= (async () => {
        if (!ended) {
          const done = next();
          thread.post({ type: "stop" });
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([done, new Promise((r) => (timer = setTimeout(r, STOP_MS)))]);
          clearTimeout(timer);
        }
        await thread.terminate();
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
