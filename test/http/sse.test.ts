/**
 * Server-Sent Events of the audit log, in process: live delivery, resume
 * from Last-Event-ID / ?after=, filters, slow-client drop, shutdown.
 */
import { afterEach, expect, test } from "bun:test";
import { SseHub } from "../../src/bus/sse-hub.ts";
import { appFixture, FIXTURE, seedRequest } from "./app-harness.ts";
import type { AppFixture } from "./app-harness.ts";

let fx: AppFixture | null = null;
afterEach(() => {
  fx?.close();
  fx = null;
});

interface Frame {
  id: number;
  event: string;
  data: { seq: number; type: string; action_id: string | null };
}

/** Read frames from an SSE response until `n` events arrived (or timeout). */
async function readFrames(res: Response, n: number, timeoutMs = 3000): Promise<Frame[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const frames: Frame[] = [];
  const deadline = Date.now() + timeoutMs;
  while (frames.length < n && Date.now() < deadline) {
    const r = await Promise.race([
      reader.read(),
      new Promise<null>((ok) => setTimeout(() => ok(null), deadline - Date.now())),
    ]);
    if (r === null || r.done) break;
    buf += dec.decode(r.value, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Record<string, string> = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const c = line.indexOf(": ");
        if (c > 0) f[line.slice(0, c)] = line.slice(c + 2);
      }
      if (f.id) frames.push({ id: Number(f.id), event: f.event!, data: JSON.parse(f.data!) });
    }
  }
  await reader.cancel().catch(() => {});
  return frames;
}

test("live events, then resume from Last-Event-ID without gaps or repeats", async () => {
  const f = (fx = appFixture());
  const res = await f.fetch("/v1/events");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reading = readFrames(res, 3);
  await Bun.sleep(20);
  seedRequest(f.store, FIXTURE.now, { request: "req_A", action: "act_A" });
  const live = await reading;
  expect(live.map((x) => x.event)).toEqual([
    "action.proposed",
    "action.held",
    "request.created",
  ].concat(live.length > 3 ? live.slice(3).map((x) => x.event) : []));
  expect(live.length).toBeGreaterThanOrEqual(3);
  const last = live[1]!.id;
  const again = await f.fetch("/v1/events", { headers: { "last-event-id": String(last) } });
  const rest = await readFrames(again, 1);
  expect(rest[0]!.id).toBe(last + 1);
  expect(rest[0]!.event).toBe("request.created");

  const all = f.store.events({});
  const replay = await readFrames(await f.fetch("/v1/events?after=0"), all.length);
  expect(replay.map((x) => x.id)).toEqual(all.map((e) => e.seq));
});

test("filters by type and action; replay and live agree", async () => {
  const f = (fx = appFixture());
  const res = await f.fetch("/v1/events?after=0&type=request.created&action=act_B");
  const reading = readFrames(res, 1);
  seedRequest(f.store, FIXTURE.now, { request: "req_B", action: "act_B" });
  const got = await reading;
  expect(got.length).toBe(1);
  expect(got[0]!.data.action_id).toBe("act_B");
  expect(got[0]!.event).toBe("request.created");
});

test("events committed by another connection to the store arrive through the poll", async () => {
  const f = (fx = appFixture());
  const { openStore } = await import("../../src/store/sqlite-store.ts");
  const { bunSqlite } = await import("../../src/platform/bun.ts");
  const other = openStore({ path: f.store.path, driver: bunSqlite });
  const res = await f.fetch("/v1/events?type=request.created");
  const reading = readFrames(res, 1);
  seedRequest(other, FIXTURE.now, { request: "req_X", action: "act_X" });
  const got = await reading;
  other.close();
  expect(got.map((g) => g.event)).toEqual(["request.created"]);
});

test("a subscriber that does not read is dropped past its queue bound; close ends streams", async () => {
  const f = (fx = appFixture());
  const hub = new SseHub(f.store, { queueMax: 4, pollMs: 1000 });
  hub.start();
  const slow = hub.subscribe(null);
  for (let i = 0; i < 3; i++) {
    seedRequest(f.store, FIXTURE.now, { request: `r${i}`, action: `a${i}` });
  }
  hub.pump();
  expect(slow.dropped).toBe(true);
  expect(await slow.next(10)).toBeNull();
  const fine = hub.subscribe(null);
  const waiting = fine.next(5000);
  hub.close();
  expect(await waiting).toBeNull();
});
