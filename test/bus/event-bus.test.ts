/**
 * Fan-out after commit: destinations get copies; a destination that throws,
 * rejects or hangs is isolated and counted, never blocks the others or the
 * canonical record.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventRecord } from "../../src/core/records.ts";
import { EventBus } from "../../src/bus/event-bus.ts";
import { jsonlSink } from "../../src/bus/jsonl-sink.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";

const quiet = { log() {} };

test("a throwing, a rejecting and a hanging destination do not stop the JSONL file or the store", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warrant-bus-"));
  try {
    const store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
    const recorded: string[] = [];
    const bus = new EventBus(quiet, 200, (sink) => void recorded.push(sink));
    const got: EventRecord[] = [];
    bus.add({
      name: "throws",
      write: () => {
        throw new Error("disk full");
      },
    });
    bus.add({ name: "rejects", write: () => Promise.reject(new Error("503")) });
    bus.add({ name: "hangs", write: () => new Promise(() => {}) });
    bus.add(jsonlSink(join(dir, "out/events.jsonl")));
    bus.add({ name: "memory", write: (e) => void got.push(...e) });
    store.onCommit((events) => bus.publish(events));
    for (let i = 0; i < 5; i++) {
      store.tx((tx) => tx.appendEvent({ type: "test.event", at: i, payload: { i } }));
    }
    await bus.flush();
    const lines = readFileSync(join(dir, "out/events.jsonl"), "utf8").trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    expect(lines.map((e) => e.payload.i)).toEqual([0, 1, 2, 3, 4]);
    expect(got.map((e) => e.seq)).toEqual(lines.map((e) => e.seq));
    const stats = bus.stats();
    expect(stats.throws).toMatchObject({ delivered: 0, failed: 5, last_error: "disk full" });
    expect(stats.rejects).toMatchObject({ failed: 5, last_error: "503" });
    expect(stats.hangs!.failed).toBe(5);
    expect(stats.hangs!.last_error).toContain("timed out");
    expect(store.verifyAudit()).toMatchObject({ ok: true, checked: 5 });
    // Each failing destination is recorded once per minute, not once per event.
    expect(recorded.sort()).toEqual(["hangs", "rejects", "throws"]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
