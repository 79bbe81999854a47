/**
 * Event replays are bounded: at most `maxReplays` subscriptions catch up
 * from the store at once (the next gets 503 with Retry-After), replays read
 * small pages one per event-loop turn, and a replay that finishes frees its
 * slot. (The load test — gate p99 while 300 clients replay 100,000 events —
 * is test/slow/sse-replay.slow.test.ts, the slow tier of scripts/test.)
 */
import { afterEach, expect, test } from "bun:test";
import { ReplayCapacityError, SseHub } from "../../src/bus/sse-hub.ts";
import { appFixture } from "./app-harness.ts";
import type { AppFixture } from "./app-harness.ts";

let f: AppFixture | undefined;
afterEach(() => f?.close());

function seed(fx: AppFixture, n: number): void {
  fx.store.tx((tx) => {
    for (let i = 0; i < n; i++) tx.appendEvent({ type: "test.filler", payload: { i }, at: 1 });
  });
}

test("the hub caps concurrent replays; a finished replay frees its slot", async () => {
  f = appFixture({ seed: false });
  seed(f, 1000);
  const hub = new SseHub(f.store, { maxReplays: 2, replayPageSize: 100 });
  hub.start();
  try {
    const a = hub.subscribe(0);
    const b = hub.subscribe(0);
    expect(() => hub.subscribe(0)).toThrow(ReplayCapacityError);
    expect(hub.subscribe(null).closed).toBe(false); // live subscribers are not capped
    let seen = 0;
    for (;;) {
      const page = await a.next(10);
      if (!page || page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(100);
      seen += page.length;
    }
    expect(seen).toBe(1000);
    expect(hub.replays).toBe(1);
    const c = hub.subscribe(0);
    b.close();
    expect(hub.replays).toBe(1);
    c.close();
    expect(hub.replays).toBe(0);
  } finally {
    hub.close();
  }
});

test("GET /v1/events past the replay cap answers 503 with Retry-After", async () => {
  f = appFixture({ seed: false });
  seed(f, 1000);
  const open: Response[] = [];
  for (let i = 0; i < f.hub.maxReplays; i++) {
    const r = await f.fetch("/v1/events?after=0");
    expect(r.status).toBe(200);
    open.push(r);
  }
  const over = await f.fetch("/v1/events?after=0");
  expect(over.status).toBe(503);
  expect(over.headers.get("retry-after")).toBe("1");
  expect(((await over.json()) as { code: string }).code).toBe("too_many_replays");
  // Live subscriptions (no history to replay) are still served.
  const live = await f.fetch("/v1/events");
  expect(live.status).toBe(200);
  await live.body?.cancel();
  for (const r of open) await r.body?.cancel();
  expect(f.hub.replays).toBe(0);
  const again = await f.fetch("/v1/events?after=0");
  expect(again.status).toBe(200);
  await again.body?.cancel();
});

test("replays started apart read and frame each page of history once between them", async () => {
  f = appFixture({ seed: false });
  seed(f, 1000);
  let reads = 0;
  const store = f.store;
  const counted = {
    events: (q: Parameters<typeof store.events>[0]) => {
      if (q.limit === 100) reads++; // replay pages (the live pump reads 500)
      return store.events(q);
    },
    lastEventSeq: () => store.lastEventSeq(),
  };
  let frames = 0;
  const frame = (batch: Array<{ seq: number }>) => {
    frames++;
    return new TextEncoder().encode(batch.map((e) => `id: ${e.seq}\n\n`).join(""));
  };
  const hub = new SseHub(counted, {
    maxReplays: 4,
    replayPageSize: 100,
    framedCacheBytes: 1 << 20,
  });
  hub.start();
  const drain = async (sub: ReturnType<typeof hub.subscribe>) => {
    let text = "";
    for (;;) {
      const bytes = await sub.nextFramed(10, frame);
      if (!bytes || bytes.byteLength === 0) break;
      text += new TextDecoder().decode(bytes);
    }
    sub.close();
    return text.trim().split("\n\n").map((l) => Number(l.slice(4)));
  };
  try {
    reads = 0;
    const first = await drain(hub.subscribe(0));
    expect(first).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const afterFirst = { reads, frames };
    // A replay that starts after the first finished: the full pages come from the cache.
    const second = await drain(hub.subscribe(0));
    expect(second).toEqual(first);
    expect(frames).toBe(afterFirst.frames); // nothing framed again
    expect(reads - afterFirst.reads).toBeLessThanOrEqual(1); // at most the short tail page
    // A small budget keeps only the newest pages: older ones are read again.
    const small = new SseHub(counted, {
      maxReplays: 4,
      replayPageSize: 100,
      framedCacheBytes: 2000,
    });
    small.start();
    await drain(small.subscribe(0));
    const before = frames;
    await drain(small.subscribe(0));
    expect(frames - before).toBeGreaterThan(5);
    small.close();
  } finally {
    hub.close();
  }
});

test("replays together send no more than replayBytesPerSec (a bucket of 100 ms of it)", async () => {
  f = appFixture({ seed: false });
  seed(f, 2000);
  const frame = (batch: Array<{ seq: number }>) =>
    new TextEncoder().encode(
      batch.map((e) => `id: ${e.seq}\ndata: ${"x".repeat(40)}\n\n`).join(""),
    );
  const rate = 200_000; // bytes per second
  const hub = new SseHub(f.store, { maxReplays: 4, replayPageSize: 100, replayBytesPerSec: rate });
  hub.start();
  const drain = async (sub: ReturnType<typeof hub.subscribe>) => {
    let bytes = 0;
    let events = 0;
    for (;;) {
      const b = await sub.nextFramed(10, frame);
      if (!b || b.byteLength === 0) break;
      bytes += b.byteLength;
      events += new TextDecoder().decode(b).split("\n\n").length - 1;
    }
    sub.close();
    return { bytes, events };
  };
  try {
    const t0 = performance.now();
    // Two replays at once share the budget.
    const [a, b] = await Promise.all([drain(hub.subscribe(0)), drain(hub.subscribe(0))]);
    const seconds = (performance.now() - t0) / 1000;
    expect(a.events).toBe(2000);
    expect(b.events).toBe(2000);
    const sent = a.bytes + b.bytes; // ~2 × 120 KB
    // The bucket starts empty and holds at most 100 ms of the rate: sending
    // `sent` bytes takes at least (sent − rate/10) / rate seconds.
    expect(seconds).toBeGreaterThanOrEqual(((sent - rate / 10) / rate) * 0.9);
  } finally {
    hub.close();
  }
});
