/**
 * The gate end to end: the compiled binary driven over stdio by the TS
 * client, approvals through the CLI, everything checked against the store.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GateClient } from "../../src/client/gate-client.ts";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";

let ws: Workspace;
let gate: GateClient;
const calls: Record<string, number> = {};
const count = (tool: string) => (calls[tool] = (calls[tool] ?? 0) + 1);

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: APPROVERS,
    policy: (k) => e2ePolicy(k),
    config: { gate: { tool_exec_timeout_ms: 1500 } },
  });
  gate = await spawnGate(ws.configPath);
  for (const t of ["search_docs", "send_payment", "shell", "boom", "slow", "deploy"]) {
    await gate.registerTool(t, async ({ tool, args }) => {
      count(tool);
      if (tool === "boom") throw new Error("kaboom");
      if (tool === "slow") await new Promise((r) => setTimeout(r, Number(args.ms ?? 4000)));
      return { tool, echoed: args };
    });
  }
});

afterAll(async () => {
  expect(await gate.close()).toBe(0);
  ws.cleanup();
});

async function approve(requestId: string, who: string, extra: string[] = []) {
  return await runCli([
    "approve",
    requestId,
    "--key",
    ws.keys[who]!.path,
    "--config",
    ws.configPath,
    ...extra,
  ]);
}

describe("gate over stdio (compiled binary)", () => {
  test("ready names the session and the project", () => {
    expect(gate.sessionId).toMatch(/^ses_/);
    expect(gate.projectId).toBe("e2e");
  });

  test("allow → completed with the body's output", async () => {
    const r = await gate.govern("search_docs", { q: "refunds" });
    expect(r).toMatchObject({
      phase: "completed",
      output: { tool: "search_docs", echoed: { q: "refunds" } },
    });
    expect(r.action_id).toMatch(/^act_/);
  });

  test("deny names the rule and the reason; the body is not called", async () => {
    const before = calls.shell ?? 0;
    const r = await gate.govern("shell", { cmd: "sudo rm -rf /" });
    expect(r).toMatchObject({ phase: "rejected", kind: "policy_denied" });
    expect((r as { reason: string }).reason).toContain("destructive command");
    expect(calls.shell ?? 0).toBe(before);
  });

  test("default deny for a registered tool no rule mentions", async () => {
    await gate.registerTool("transfer_all");
    const r = await gate.govern("transfer_all", {});
    expect(r).toMatchObject({ phase: "rejected", kind: "policy_denied" });
  });

  test("an unregistered tool is rejected, never run", async () => {
    const r = await gate.govern("read_file", { path: "/etc/passwd" });
    expect(r).toMatchObject({ phase: "rejected", kind: "unregistered_tool" });
  });

  test("hold → pending_approval with request_id and deadline; body not called", async () => {
    const before = calls.send_payment ?? 0;
    const r = await gate.govern("send_payment", { amount: 250, to: "ACME" });
    expect(r.phase).toBe("pending_approval");
    const held = r as { request_id: string; deadline: string };
    expect(held.request_id).toMatch(/^req_/);
    const deadline = Date.parse(held.deadline);
    expect(deadline - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(deadline - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect(calls.send_payment ?? 0).toBe(before);
  });

  test("tool error → failed / execution_failed", async () => {
    const r = await gate.govern("boom", {});
    expect(r).toMatchObject({ phase: "failed", kind: "execution_failed" });
    expect((r as { reason: string }).reason).toContain("kaboom");
  });

  test("exec timeout → failed / execution_timeout; the late answer changes nothing", async () => {
    const r = await gate.govern("slow", {});
    expect(r).toMatchObject({ phase: "failed", kind: "execution_timeout" });
    // A resume returns the same recorded outcome, and the body is not run again.
    const again = await gate.resume(r.action_id, "");
    expect(again).toMatchObject({ phase: "failed", kind: "execution_timeout" });
    expect(calls.slow).toBe(1);
  });

  test("concurrent run_tool callbacks: each times out at its own deadline, the others complete", async () => {
    const t0 = performance.now();
    const timed = (args: { ms: number }) =>
      gate.govern("slow", args).then((r) => ({ r, ms: performance.now() - t0 }));
    const first = timed({ ms: 4000 });
    const quick = timed({ ms: 100 });
    await new Promise((r) => setTimeout(r, 600));
    const second = timed({ ms: 4000 });
    const later = timed({ ms: 300 });
    const [a, b, c, d] = await Promise.all([first, quick, second, later]);
    for (const x of [a, c]) {
      expect(x.r).toMatchObject({ phase: "failed", kind: "execution_timeout" });
    }
    for (const x of [b, d]) expect(x.r).toMatchObject({ phase: "completed" });
    // Never early (tool_exec_timeout_ms is 1500 here), and the first does not wait for the second.
    expect(a.ms).toBeGreaterThanOrEqual(1500);
    expect(c.ms).toBeGreaterThanOrEqual(2100);
    expect(a.ms).toBeLessThan(c.ms);
  });

  test("budgets: small payments are allowed until the daily budget is spent", async () => {
    const results = [];
    for (let i = 0; i < 6; i++) {
      results.push(await gate.govern("send_payment", { amount: 100, to: "x" }));
    }
    expect(results.slice(0, 5).every((r) => r.phase === "completed")).toBe(true);
    expect(results[5]).toMatchObject({ phase: "rejected", kind: "budget_exhausted" });
  });

  test("rate limits: the sixth shell call in a minute is rate_limited", async () => {
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await gate.govern("shell", { cmd: `ls ${i}` }));
    expect(results.slice(0, 5).every((r) => r.phase === "completed")).toBe(true);
    expect(results[5]).toMatchObject({ phase: "rejected", kind: "rate_limited" });
  });

  test("8 concurrent callers × 50 governs are all correlated by id", async () => {
    const all = await Promise.all(
      Array.from(
        { length: 8 },
        (_, c) =>
          Promise.all(Array.from({ length: 50 }, (_, i) => gate.govern("search_docs", { c, i }))),
      ),
    );
    for (const [c, rs] of all.entries()) {
      for (const [i, r] of rs.entries()) {
        expect(r).toMatchObject({ phase: "completed", output: { echoed: { c, i } } });
      }
    }
  });

  test("hold → two approvals from the CLI → resume completes, exactly once", async () => {
    const held = await gate.govern("send_payment", { amount: 300, to: "ACME" }) as {
      action_id: string;
      request_id: string;
    };
    const a1 = await approve(held.request_id, "alice");
    expect(a1.code).toBe(0);
    const again = await approve(held.request_id, "alice");
    expect(again.code).toBe(0); // accepted, but the same approver counts once
    const still = await gate.resume(held.action_id, held.request_id);
    expect(still.phase).toBe("pending_approval");
    const ineligible = await approve(held.request_id, "bob");
    expect(ineligible.code).not.toBe(0);
    expect(ineligible.stderr).toContain("approver_not_eligible");
    const before = calls.send_payment ?? 0;
    const waiting = gate.resume(held.action_id, held.request_id, { waitMs: 10_000 });
    expect((await approve(held.request_id, "dave")).code).toBe(0);
    const [r1, r2, r3] = await Promise.all([
      waiting,
      gate.resume(held.action_id, held.request_id, { waitMs: 10_000 }),
      gate.resume(held.action_id, held.request_id, { waitMs: 10_000 }),
    ]);
    for (const r of [r1, r2, r3]) {
      expect(r).toMatchObject({ phase: "completed", output: { echoed: { amount: 300 } } });
    }
    expect(calls.send_payment! - before).toBe(1);
    const later = await gate.resume(held.action_id, held.request_id);
    expect(later).toMatchObject({ phase: "completed", output: { echoed: { amount: 300 } } });
    expect(calls.send_payment! - before).toBe(1);
  });

  test("a deny from one eligible approver rejects", async () => {
    const held = await gate.govern("send_payment", { amount: 999, to: "X" }) as {
      action_id: string;
      request_id: string;
    };
    const d = await runCli([
      "deny",
      held.request_id,
      "--key",
      ws.keys.carol!.path,
      "--config",
      ws.configPath,
      "--reason",
      "no",
    ]);
    expect(d.code).toBe(0);
    const r = await gate.resume(held.action_id, held.request_id);
    expect(r).toMatchObject({ phase: "rejected", kind: "approval_denied" });
    const late = await approve(held.request_id, "alice");
    expect(late.code).not.toBe(0);
    expect(late.stderr).toContain("request_closed");
  });

  test("the deadline passes → approval_timeout, and a late approval is refused", async () => {
    const held = await gate.govern("deploy", { env: "prod" }) as {
      action_id: string;
      request_id: string;
    };
    const r = await gate.resume(held.action_id, held.request_id, { waitMs: 10_000 });
    expect(r).toMatchObject({ phase: "rejected", kind: "approval_timeout" });
    const late = await approve(held.request_id, "bob");
    expect(late.code).not.toBe(0);
    expect(calls.deploy ?? 0).toBe(0);
  });

  test("resume of an unknown action → unknown_action", async () => {
    const r = await gate.resume("act_nope", "req_nope");
    expect(r).toMatchObject({ phase: "rejected", kind: "unknown_action" });
  });

  test("the audit chain verifies after all of this", async () => {
    const v = await runCli(["audit", "verify", "--config", ws.configPath]);
    expect(v.code).toBe(0);
  });
});
