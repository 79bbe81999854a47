/**
 * Slow tier (scripts/test-slow, not part of scripts/test): 300 SSE clients
 * replay 100,000 stored events (`/v1/events?after=0`) from a gate serving
 * HTTP in its own process (`runtime gate --http`), while an agent keeps
 * governing. Replays are capped (the rest get 503 + Retry-After and come
 * back) and read one small page per event-loop turn, so the governs' p99
 * stays within 2× of the p99 measured without the clients. Prints the
 * numbers.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { makeWorkspace, spawnGate, waitForStderr } from "../e2e/harness.ts";

const EVENTS = 100_000;
const CLIENTS = 300;

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("gate p99 stays within 2x while 300 SSE clients replay 100,000 events", async () => {
  const ws = await makeWorkspace({
    policy: { policy: "p", version: 1, default: "allow", rules: [] },
  });
  try {
    // A store with 100,000 events (plus what the gate adds).
    const path = join(ws.dir, ".warrant/warrant.db");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(ws.dir, ".warrant"), { recursive: true });
    const store = openStore({ path, driver: bunSqlite });
    for (let done = 0; done < EVENTS; done += 10_000) {
      store.tx((tx) => {
        for (let i = 0; i < 10_000; i++) {
          tx.appendEvent({ type: "seed.filler", payload: { i: done + i, note: "history" }, at: 1 });
        }
      });
    }
    store.close();

    // Every client here shares one address: the per-address rate limit would
    // model one client, not 300.
    const gate = await spawnGate(ws.configPath, { env: { WARRANT_HTTP_RATE: "off" } }, [
      "--http",
      "127.0.0.1:0",
    ]);
    const url = await waitForStderr(gate, /"url":"([^"]+)"/, 15_000);
    await gate.registerTool("echo", ({ args }) => args);

    const governs = async (n: number, until?: () => boolean) => {
      const lat: number[] = [];
      for (let i = 0; i < n || (until !== undefined && !until()); i++) {
        const t0 = performance.now();
        const r = await gate.govern("echo", { i });
        lat.push(performance.now() - t0);
        if (r.phase !== "completed") throw new Error(`govern ${i}: ${JSON.stringify(r)}`);
      }
      return lat;
    };
    await governs(100); // warm up
    const base = await governs(500);

    // The storm: every client replays from 0 to the end, retrying on 503.
    const last = EVENTS; // the seeded events are seq 1..EVENTS
    let finished = 0;
    let refusals = 0;
    const client = async () => {
      for (;;) {
        const res = await fetch(`${url}/v1/events?after=0`);
        if (res.status === 503) {
          refusals++;
          await res.body?.cancel();
          await sleep(Number(res.headers.get("retry-after") ?? "1") * 1000 * (0.5 + Math.random()));
          continue;
        }
        if (res.status !== 200 || !res.body) throw new Error(`events: HTTP ${res.status}`);
        const reader = res.body.getReader();
        let tail = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) throw new Error("the stream ended before the replay did");
          tail = (tail + Buffer.from(value.subarray(-2048)).toString("latin1")).slice(-4096);
          if (tail.includes(`\nid: ${last}\n`) || tail.startsWith(`id: ${last}\n`)) break;
        }
        await reader.cancel();
        finished++;
        return;
      }
    };
    const t0 = performance.now();
    const clients = Promise.all(Array.from({ length: CLIENTS }, client));
    const storm = await governs(500, () => finished >= CLIENTS);
    await clients;
    const took = (performance.now() - t0) / 1000;
    const result = {
      baseline_p99_ms: +p99(base).toFixed(2),
      storm_p99_ms: +p99(storm).toFixed(2),
      storm_governs: storm.length,
      replays: CLIENTS,
      refused_503: refusals,
      storm_seconds: +took.toFixed(1),
    };
    console.log(JSON.stringify(result));
    expect(finished).toBe(CLIENTS);
    expect(result.storm_p99_ms).toBeLessThanOrEqual(2 * result.baseline_p99_ms);
    expect(await gate.close()).toBe(0);
  } finally {
    ws.cleanup();
  }
}, 900_000);
