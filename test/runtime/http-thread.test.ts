/**
 * The gate's supervision of its HTTP thread (src/runtime/http-thread.ts),
 * in process, over the Platform's thread port with scripted threads: the
 * first word decides start-up, commits are pinged once per turn, a thread
 * that ends by itself is started again on the address it had bound (after
 * the back-off, with an error logged), and stop ends everything, including
 * a restart still waiting. (The real thread, in the compiled binary and on
 * Deno: test/e2e/http-thread.test.ts.)
 */
import { expect, test } from "bun:test";
import type { Platform, Thread } from "../../src/app/ports/platform.ts";
import type { EventSink } from "../../src/app/ports/event-sink.ts";
import type { RuntimeEnv } from "../../src/runtime/open.ts";
import { startHttpThread } from "../../src/runtime/http-thread.ts";
import type { HttpThreadData } from "../../src/runtime/http-thread.ts";
import { WarrantError } from "../../src/core/errors.ts";

/** A scripted thread: what the gate posts is recorded; `say` and `end` act as the thread. */
class FakeThread implements Thread {
  posted: unknown[] = [];
  terminated = false;
  private onMsg: Array<(m: unknown) => void> = [];
  private onEnd: Array<() => void> = [];
  constructor(readonly data: HttpThreadData, private readonly script: (t: FakeThread) => void) {
    queueMicrotask(() => this.script(this));
  }
  post(m: unknown): void {
    this.posted.push(m);
    if ((m as { type: string }).type === "stop") {
      queueMicrotask(() => {
        this.say({ type: "stopped" });
        this.end();
      });
    }
  }
  onMessage(l: (m: unknown) => void): void {
    this.onMsg.push(l);
  }
  onError(): void {}
  onExit(l: () => void): void {
    this.onEnd.push(l);
  }
  terminate(): Promise<void> {
    this.terminated = true;
    this.end();
    return Promise.resolve();
  }
  say(m: unknown): void {
    for (const l of this.onMsg) l(m);
  }
  private ended = false;
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of this.onEnd) l();
  }
}

const listening = (t: FakeThread) =>
  t.say({ type: "listening", url: "http://127.0.0.1:4711", hostname: "127.0.0.1", port: 4711 });

function world(scripts: Array<(t: FakeThread) => void>) {
  const threads: FakeThread[] = [];
  const sinks: EventSink[] = [];
  const logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const platform = {
    startThread(data: unknown) {
      const t = new FakeThread(data as HttpThreadData, scripts[threads.length] ?? listening);
      threads.push(t);
      return t;
    },
  } as unknown as Platform;
  const env = {
    bus: { add: (s: EventSink) => void sinks.push(s) },
    logger: {
      log: (level: string, msg: string, fields?: Record<string, unknown>) =>
        void logs.push({ level, msg, ...(fields ? { fields } : {}) }),
    },
  } as unknown as RuntimeEnv;
  const io = { out() {}, err() {}, env: { A: "1" }, cwd: "/w" };
  return { threads, sinks, logs, platform, env, io };
}

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

test("start-up waits for the thread's first word: listening resolves, failed rejects with its code", async () => {
  const ok = world([listening]);
  const h = await startHttpThread(ok.platform, ok.env, "/w/warrant.json", "127.0.0.1:0", ok.io, [
    10,
  ]);
  expect(h.url).toBe("http://127.0.0.1:4711");
  expect(ok.threads[0]!.data).toEqual({
    face: "http",
    configPath: "/w/warrant.json",
    listen: "127.0.0.1:0",
    env: { A: "1" },
    cwd: "/w",
  });
  await h.stop();
  expect(ok.threads[0]!.posted).toContainEqual({ type: "stop" });
  expect(ok.threads[0]!.terminated).toBe(true);

  const bad = world([
    (t) => t.say({ type: "failed", code: "config_invalid", message: "no token" }),
  ]);
  const err = await startHttpThread(bad.platform, bad.env, "/w/warrant.json", "127.0.0.1:0", bad.io)
    .then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(WarrantError);
  expect((err as WarrantError).code).toBe("config_invalid");
  expect(bad.threads[0]!.terminated).toBe(true);

  const gone = world([(t) => t.end()]);
  const err2 = await startHttpThread(gone.platform, gone.env, "/w/c.json", "127.0.0.1:0", gone.io)
    .then(() => null, (e: unknown) => e);
  expect((err2 as WarrantError).message).toContain("ended before listening");
});

test("commits are pinged to the thread once per turn, however many there were", async () => {
  const w = world([listening]);
  const h = await startHttpThread(w.platform, w.env, "/w/c.json", "127.0.0.1:0", w.io, [10]);
  for (let i = 0; i < 5; i++) w.sinks[0]!.write([]);
  await Promise.resolve();
  await Promise.resolve();
  expect(w.threads[0]!.posted.filter((m) => (m as { type: string }).type === "commits").length)
    .toBe(1);
  await h.stop();
});

test("a thread that ends by itself is started again on the bound address, with an error logged", async () => {
  const w = world([listening, listening]);
  const h = await startHttpThread(w.platform, w.env, "/w/c.json", "127.0.0.1:0", w.io, [20]);
  w.threads[0]!.end(); // a crash
  await until(() => w.threads.length === 2);
  expect(w.threads[1]!.data.listen).toBe("127.0.0.1:4711"); // where approvers found it
  expect(w.logs.some((l) => l.level === "error" && l.msg.includes("starting it again"))).toBe(true);
  // The new thread gets the pings and the stop.
  await until(() => w.sinks.length === 1);
  w.sinks[0]!.write([]);
  await until(() => w.threads[1]!.posted.length > 0);
  expect(w.threads[1]!.posted).toContainEqual({ type: "commits" });
  await h.stop();
  expect(w.threads[1]!.posted).toContainEqual({ type: "stop" });
});

test("a restart that cannot start is retried; stop cancels a restart still waiting", async () => {
  const w = world([
    listening,
    (t) => t.say({ type: "failed", code: "invalid_argument", message: "address in use" }),
    listening,
  ]);
  const h = await startHttpThread(w.platform, w.env, "/w/c.json", "127.0.0.1:0", w.io, [10, 20]);
  w.threads[0]!.end();
  await until(() => w.threads.length === 3);
  expect(w.logs.some((l) => l.msg.includes("cannot start again"))).toBe(true);
  w.threads[2]!.end(); // crashes again: a restart is now waiting
  await h.stop(); // ...and is cancelled
  await new Promise((r) => setTimeout(r, 80));
  expect(w.threads.length).toBe(3);
});
