/**
 * `warrant runtime gate --http` serves its HTTP face from a thread of its
 * own (src/runtime/http-thread.ts): what the face does never runs on the
 * loop that answers the agent. These tests pin what that thread must keep:
 * live events from the gate's commits reach SSE clients at once (the
 * gate pings the thread after each commit; without the ping they would
 * wait for the 2 s safety poll), a face that cannot start stops the gate
 * before `ready` with the reason, and the gate still exits cleanly with a
 * stream open. (The load test — gate p99 while 300 clients replay 100,000
 * events — is test/slow/sse-replay.slow.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { GateClient } from "../../src/client/gate-client.ts";
import { ensureBinary, makeWorkspace, spawnGate, waitForStderr } from "./harness.ts";
import type { Workspace } from "./harness.ts";

let ws: Workspace;
beforeAll(async () => {
  ws = await makeWorkspace({ policy: { policy: "p", version: 1, default: "allow", rules: [] } });
});
afterAll(() => ws.cleanup());

/** Read an SSE body until `want` appears; returns what was read. */
async function readUntil(body: ReadableStream<Uint8Array>, want: string): Promise<string> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let text = "";
  try {
    while (!text.includes(want)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`stream ended before "${want}": ${text.slice(-300)}`);
      text += dec.decode(value, { stream: true });
    }
    return text;
  } finally {
    await reader.cancel();
  }
}

describe("the gate's HTTP face on its own thread", () => {
  test("a live SSE client sees the gate's commits at once, not at the next safety poll", async () => {
    const gate = await spawnGate(ws.configPath, {}, ["--http", "127.0.0.1:0"]);
    try {
      const url = await waitForStderr(gate, /"url":"(http:\/\/[^"]+)"/);
      await gate.registerTool("echo", ({ args }) => args);
      await gate.govern("echo", { warm: 1 });
      // Subscribe live, wait for the stream's opening comment, then govern.
      const res = await fetch(`${url}/v1/events`);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = "";
      while (!text.includes("warrant events from seq")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended at once");
        text += dec.decode(value, { stream: true });
      }
      reader.releaseLock();
      const t0 = performance.now();
      const r = await gate.govern("echo", { live: 2 });
      expect(r.phase).toBe("completed");
      const seen = await readUntil(res.body!, `"action_id":"${r.action_id}"`);
      const took = performance.now() - t0;
      expect(seen).toContain("event: action.");
      // The safety poll of a hub with a commit signal is 2000 ms: arriving
      // well inside it shows the gate's ping reached the thread.
      expect(took).toBeLessThan(1500);
    } finally {
      expect(await gate.close()).toBe(0);
    }
  });

  test("a face that cannot listen stops the gate before ready, naming the address", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const err = await GateClient.spawn(
        [
          await ensureBinary(),
          "runtime",
          "gate",
          "--config",
          ws.configPath,
          "--http",
          `127.0.0.1:${port}`,
        ],
        { cwd: ws.dir, env: { ...process.env } },
      ).then(
        async (g) => {
          await g.close();
          return "the gate became ready";
        },
        (e: Error) => e.message,
      );
      expect(err).toContain("gate not started");
      expect(err).toContain(`127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });

  test("the gate exits cleanly (0) with an SSE stream still open on its thread", async () => {
    const gate = await spawnGate(ws.configPath, {}, ["--http", "127.0.0.1:0"]);
    const url = await waitForStderr(gate, /"url":"(http:\/\/[^"]+)"/);
    const res = await fetch(`${url}/v1/events?after=0`);
    expect(res.status).toBe(200);
    expect(await gate.close()).toBe(0);
    // The stream ends with the gate (no hang): its body finishes.
    await res.body!.pipeTo(new WritableStream()).catch(() => {});
  });
});
