/**
 * The TS client against the echo gate (bench/echo-gate.ts): correlation under
 * concurrency, run_tool round trips, error replies, start-up failures.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { GateClient, GateError, type RawFrame } from "../../src/client/gate-client.ts";
import type { GateMessage } from "../../src/protocol/gate-outbound.ts";

const ECHO = [
  process.execPath,
  resolve(import.meta.dir, "../../bench/echo-gate.ts"),
  "runtime",
  "gate",
  "--config",
  "unused.json",
];

describe("GateClient against the echo gate", () => {
  let gate: GateClient;
  const calls: { tool: string; action_id: string }[] = [];

  beforeAll(async () => {
    gate = await GateClient.spawn(ECHO, {
      onRunTool: (call) => {
        calls.push({ tool: call.tool, action_id: call.action_id });
        return { fallback: call.args };
      },
    });
  });
  afterAll(async () => {
    expect(await gate.close()).toBe(0);
  });

  test("ready fills sessionId and projectId", () => {
    expect(gate.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(gate.projectId).toBe("echo");
    expect(gate.readyMessage?.type).toBe("ready");
  });

  test("registerTool resolves with required_level", async () => {
    expect(await gate.registerTool("echo", ({ args }) => ({ echoed: args }))).toEqual({
      required_level: 0,
    });
  });

  test("8 callers x 50 concurrent governs are each correlated to their own reply", async () => {
    await gate.registerTool("slow", async ({ args }) => {
      await new Promise((r) => setTimeout(r, (args.n as number) % 7));
      return { n: args.n };
    });
    const callers = Array.from({ length: 8 }, async (_, c) => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const n = c * 1000 + i;
          return gate.govern(i % 2 ? "slow" : "echo", { n }, { correlationId: `c${n}` });
        }),
      );
      results.forEach((r, i) => {
        const n = c * 1000 + i;
        expect(r.phase).toBe("completed");
        expect(r.correlation_id).toBe(`c${n}`);
        if (r.phase !== "completed") return;
        expect(r.output).toEqual(i % 2 ? { n } : { echoed: { n } });
      });
    });
    await Promise.all(callers);
  });

  test("run_tool passes tool, args and action_id; the fallback handler runs unknown tools", async () => {
    await gate.registerTool("other");
    const r = await gate.govern("other", { x: [1, "two"] });
    expect(r).toMatchObject({ phase: "completed", output: { fallback: { x: [1, "two"] } } });
    expect(calls.at(-1)).toEqual({ tool: "other", action_id: r.action_id });
  });

  test("a throwing handler becomes tool_error, seen as failed / execution_failed", async () => {
    await gate.registerTool("boom", () => {
      throw new Error("disk on fire");
    });
    const r = await gate.govern("boom", {});
    expect(r).toMatchObject({ phase: "failed", kind: "execution_failed", reason: "disk on fire" });
  });

  test("an unregistered tool is a rejected value, not an exception", async () => {
    const r = await gate.govern("never_registered", {});
    expect(r).toMatchObject({ phase: "rejected", kind: "unregistered_tool" });
  });

  test("an error reply rejects the matching promise with a GateError carrying the message", async () => {
    const p = gate.registerTool("");
    await expect(p).rejects.toBeInstanceOf(GateError);
    await expect(gate.registerTool("")).rejects.toThrow("invalid register_tool");
    // The session is still usable afterwards.
    expect((await gate.govern("echo", { ok: true })).phase).toBe("completed");
  });

  test("sendRaw: replies to foreign ids and garbage arrive through waitFor and onMessage", async () => {
    const seen: (GateMessage | RawFrame)[] = [];
    gate.onMessage = (m) => seen.push(m);
    const waiting = gate.waitFor((m) => m.type === "error" && m.id === 999_999);
    gate.sendRaw('{"type":"govern","id":999999,"tool":5}');
    gate.sendRaw("this is not json");
    const err = await waiting;
    expect(err).toMatchObject({ type: "error", id: 999_999 });
    expect(seen).toContainEqual(err);
    gate.onMessage = undefined;
    expect((await gate.govern("echo", {})).phase).toBe("completed");
  });
});

describe("GateClient start-up and shutdown", () => {
  test("a gate that exits before ready rejects with its stderr", async () => {
    const argv = [process.execPath, "-e", "console.error('config: bad project'); process.exit(3)"];
    const p = GateClient.spawn(argv);
    await expect(p).rejects.toThrow(/exited with code 3 before ready: config: bad project/);
  });

  test("a missing executable rejects", async () => {
    await expect(GateClient.spawn(["/nonexistent/warrant"])).rejects.toBeInstanceOf(GateError);
  });

  test("a gate that never says ready times out and is killed", async () => {
    const argv = [process.execPath, "-e", "setInterval(() => {}, 1000)"];
    await expect(GateClient.spawn(argv, { readyTimeoutMs: 300 })).rejects.toThrow(/not ready/);
  });

  test("in-flight requests reject when the gate dies; kill works", async () => {
    const gate = await GateClient.spawn(ECHO);
    await gate.registerTool("hang", () => new Promise(() => {}));
    const p = gate.govern("hang", {});
    await new Promise((r) => setTimeout(r, 50));
    gate.kill("SIGKILL");
    await expect(p).rejects.toThrow(/killed by SIGKILL with 1 request/);
    expect(await gate.exited).toBeNull();
    await expect(gate.govern("hang", {})).rejects.toThrow(/has exited/);
  });
});
