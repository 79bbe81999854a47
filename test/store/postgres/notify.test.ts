/**
 * Fan-out without polling on PostgreSQL: a commit in one process wakes
 * watchers in another (LISTEN/NOTIFY), a rolled-back transaction wakes
 * nobody, and the two waiters that use it — the SSE hub and a resume in
 * wait_ms — are woken by it with their polls set far beyond the test's
 * timeout (so only the notification can have woken them).
 */
import { afterAll, expect, test } from "bun:test";
import type { Store } from "../../../src/app/ports/store.ts";
import { waitForDecision } from "../../../src/app/resume.ts";
import { SseHub } from "../../../src/bus/sse-hub.ts";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { openPgStore } from "../../../src/store/postgres/pg-store.ts";
import { actionIn } from "../harness.ts";
import { dropSchema, freshSchema, pgTestUrl } from "./pg-backend.ts";

const url = pgTestUrl();
const pgTest = url ? test : test.skip;
const schema = freshSchema("notify");
const opened: Store[] = [];
const open = () => {
  const s = openPgStore({ url: url!, schema, bridge: pgBridge });
  opened.push(s);
  return s;
};
afterAll(() => {
  for (const s of opened) s.close();
  if (url) dropSchema(url, schema);
});

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, no) => setTimeout(() => no(new Error(`${what} within ${ms} ms`)), ms)),
  ]);

pgTest("another instance's commit wakes a watcher; a rollback wakes nobody", async () => {
  const a = open();
  const b = open();
  let woke = 0;
  let first!: () => void;
  const firstWake = new Promise<void>((r) => (first = r));
  const off = a.watchCommits!(() => {
    woke++;
    first();
  });
  // LISTEN is set up by the worker asynchronously; commit until one is heard.
  const t = setInterval(() => actionIn(b, "allowed"), 200);
  try {
    await within(firstWake, 10_000, "no NOTIFY heard");
  } finally {
    clearInterval(t);
  }
  await new Promise((r) => setTimeout(r, 300));
  const before = woke;
  expect(() =>
    b.tx((tx) => {
      tx.appendEvent({ type: "x.test", at: 1 });
      throw new Error("roll back");
    })
  ).toThrow("roll back");
  await new Promise((r) => setTimeout(r, 500));
  expect(woke).toBe(before);
  off();
}, 30_000);

pgTest(
  "the SSE hub reads another process's commit when notified (poll set to 10 min)",
  async () => {
    const a = open();
    const b = open();
    const hub = new SseHub(a, { pollMs: 600_000, watch: (l) => a.watchCommits!(l) });
    hub.start();
    const seen: string[] = [];
    hub.tap((events) => seen.push(...events.map((e) => e.type)));
    try {
      const t = setInterval(() => b.tx((tx) => tx.appendEvent({ type: "x.ping", at: 2 })), 200);
      try {
        await within(
          (async () => {
            while (!seen.includes("x.ping")) await new Promise((r) => setTimeout(r, 20));
          })(),
          10_000,
          "the hub did not see the other store's event",
        );
      } finally {
        clearInterval(t);
      }
    } finally {
      hub.close();
    }
  },
  30_000,
);

pgTest(
  "a resume waiting in wait_ms wakes on the approval's commit (poll set to 10 min)",
  async () => {
    const a = open();
    const b = open();
    const id = actionIn(b, "proposed");
    const now = Date.now();
    b.tx((tx) => tx.transition(id, ["proposed"], "held", { deadline: now + 600_000 }, now));
    const waiting = waitForDecision(
      { store: a, clock: { now: () => Date.now() }, logger: { log() {} }, pollMs: 600_000 },
      id,
      "",
      600_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    b.tx((tx) => tx.transition(id, ["held"], "approved", {}, Date.now()));
    // Until the waiter's LISTEN is up, a later commit (any) is what wakes it.
    const t = setInterval(() => b.tx((tx) => tx.appendEvent({ type: "x.tick", at: 4 })), 200);
    try {
      const got = await within(waiting, 10_000, "the resume was not woken");
      expect("action" in got && got.action.state).toBe("approved");
    } finally {
      clearInterval(t);
    }
  },
  30_000,
);

pgTest("a resume sleeping on the commit signal answers at once when the gate stops", async () => {
  const a = open();
  const id = actionIn(a, "proposed");
  const now = Date.now();
  a.tx((tx) => tx.transition(id, ["proposed"], "held", { deadline: now + 600_000 }, now));
  let stopped = false;
  const wakers = new Set<() => void>();
  const waiting = waitForDecision(
    {
      store: a,
      clock: { now: () => Date.now() },
      logger: { log() {} },
      pollMs: 600_000,
      stopping: () => stopped,
      onStop: (w) => {
        wakers.add(w);
        return () => void wakers.delete(w);
      },
    },
    id,
    "",
    600_000,
  );
  await new Promise((r) => setTimeout(r, 300));
  stopped = true;
  for (const w of wakers) w();
  const got = await within(waiting, 10_000, "the resume did not answer on stop");
  expect(got).toMatchObject({ phase: "pending_approval", action_id: id });
}, 30_000);
