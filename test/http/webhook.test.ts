/** The webhook sink: filtering, retries, the breaker, rate-limited failure reports, bus isolation. */
import { expect, test } from "bun:test";
import type { EventRecord } from "../../src/core/records.ts";
import { EventBus } from "../../src/bus/event-bus.ts";
import { isNotified, webhookSink } from "../../src/bus/webhook-sink.ts";

const ev = (seq: number, type: string): EventRecord => ({
  seq,
  at: 1_700_000_000_000 + seq,
  type,
  action_id: `act_${seq}`,
  payload: { n: seq },
  prev_hash: "",
  hash: `h${seq}`,
});
const quiet = { log() {} };

test("only approver-facing events are posted, as JSON", async () => {
  const got: unknown[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push(await req.json());
      return new Response(null, { status: 204 });
    },
  });
  try {
    const sink = webhookSink({ url: `http://127.0.0.1:${server.port}/hook?secret=x` });
    await sink.write([
      ev(1, "action.proposed"),
      ev(2, "action.held"),
      ev(3, "request.created"),
      ev(4, "resolution.accepted"),
      ev(5, "request.approved"),
    ]);
    expect(got.map((g) => (g as { type: string }).type)).toEqual([
      "action.held",
      "request.created",
      "request.approved",
    ]);
    expect(sink.stats()).toEqual({ sent: 3, failed: 0, attempts: 3 });
    expect(isNotified("action.expired")).toBe(true);
    expect(isNotified("notify.failed")).toBe(false);
  } finally {
    server.stop(true);
  }
});

test("retries 3 times with backoff, then fails fast; failures reported once a minute", async () => {
  let calls = 0;
  let t = 0;
  const reports: unknown[] = [];
  const sink = webhookSink({
    url: "http://example.invalid/hook?token=secret",
    backoffMs: 1,
    now: () => t,
    fetch: (() => {
      calls++;
      return Promise.reject(new Error("connection refused"));
    }) as unknown as typeof fetch,
    onFailed: (f) => reports.push(f),
  });
  await expect(sink.write([ev(1, "request.created")])).rejects.toThrow(/connection refused/);
  expect(calls).toBe(3);
  await expect(sink.write([ev(2, "request.created")])).rejects.toThrow(/circuit open/);
  expect(calls).toBe(3);
  expect(reports.length).toBe(1);
  expect(JSON.stringify(reports[0])).not.toContain("secret");
  t += 61_000;
  await expect(sink.write([ev(3, "request.created")])).rejects.toThrow(/connection refused/);
  expect(reports.length).toBe(2);
  expect((reports[1] as { failed: number }).failed).toBe(2);
  expect(sink.stats().failed).toBe(3);
});

test("a hanging webhook times out per try and never blocks the bus's other sinks", async () => {
  const bus = new EventBus(quiet, 2000);
  const other: number[] = [];
  bus.add(webhookSink({
    url: "http://127.0.0.1:9/never",
    timeoutMs: 50,
    backoffMs: 1,
    fetch: ((_u: string, init: RequestInit) =>
      new Promise((_, rej) =>
        init.signal!.addEventListener("abort", () =>
          rej(new Error("aborted")))
      )) as unknown as typeof fetch,
  }));
  bus.add({ name: "mem", write: (e) => void other.push(...e.map((x) => x.seq)) });
  const t0 = Date.now();
  bus.publish([ev(1, "request.created")]);
  await Bun.sleep(5);
  expect(other).toEqual([1]);
  await bus.flush();
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(bus.stats().webhook!.failed).toBe(1);
  expect(bus.stats().webhook!.last_error).toContain("timed out");
});
