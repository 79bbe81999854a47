/**
 * Event replays are bounded: at most `maxReplays` subscriptions catch up
 * from the store at once (the next gets 503 with Retry-After), replays read
 * small pages one per event-loop turn, and a replay that finishes frees its
 * slot. (The load test — gate p99 while 300 clients replay 100,000 events —
 * is in test/slow/, run by scripts/test-slow.)
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
