/**
 * Park and resume across processes, races between resumes, and kill -9 at
 * several points of the path: nothing runs twice, every returned decision
 * survives, the audit chain verifies.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GateClient } from "../../src/client/gate-client.ts";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { withStoreSql } from "./store-sql.ts";

let ws: Workspace;
const ran: Record<string, number> = {};

beforeAll(async () => {
  ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
});
afterAll(() => ws.cleanup());

function handler(stall = false) {
  return async ({ action_id }: { action_id: string }) => {
    ran[action_id] = (ran[action_id] ?? 0) + 1;
    if (stall) await new Promise(() => {});
    return { paid: action_id };
  };
}

async function gateWith(tools: string[], stall = false): Promise<GateClient> {
  const g = await spawnGate(ws.configPath);
  for (const t of tools) await g.registerTool(t, handler(stall));
  return g;
}

async function approveBoth(requestId: string) {
  for (const who of ["alice", "dave"]) {
    const r = await runCli([
      "approve",
      requestId,
      "--key",
      ws.keys[who]!.path,
      "--config",
      ws.configPath,
    ]);
    expect(r.code).toBe(0);
  }
}

function actionState(id: string): string {
  return withStoreSql(
    ws,
    (db) => db.get<{ state: string }>("SELECT state FROM actions WHERE id = ?", id)!.state,
    { readonly: true },
  );
}

describe("park and resume across gate processes", () => {
  test("held in one process, approved, resumed in another: runs once", async () => {
    const a = await gateWith(["send_payment"]);
    const held = await a.govern("send_payment", { amount: 400, to: "ACME" }) as {
      phase: string;
      action_id: string;
      request_id: string;
      deadline: string;
    };
    expect(held.phase).toBe("pending_approval");
    expect(await a.close()).toBe(0);

    await approveBoth(held.request_id);
    const b = await gateWith(["send_payment"]);
    const c = await gateWith(["send_payment"]);
    const results = await Promise.all([
      b.resume(held.action_id, held.request_id, { waitMs: 5000 }),
      b.resume(held.action_id, held.request_id, { waitMs: 5000 }),
      c.resume(held.action_id, held.request_id, { waitMs: 5000 }),
      c.resume(held.action_id, held.request_id, { waitMs: 5000 }),
    ]);
    const completed = results.filter((r) => r.phase === "completed");
    expect(completed.length).toBeGreaterThanOrEqual(3);
    for (const r of completed) expect(r).toMatchObject({ output: { paid: held.action_id } });
    expect(ran[held.action_id]).toBe(1);
    // Whoever lost the race in the other process gets the recorded outcome on a retry.
    const again = await c.resume(held.action_id, held.request_id, { waitMs: 5000 });
    expect(again).toMatchObject({ phase: "completed", output: { paid: held.action_id } });
    expect(ran[held.action_id]).toBe(1);
    await b.close();
    await c.close();
  });

  test("a parked hold keeps its stored deadline", async () => {
    const a = await gateWith(["send_payment"]);
    const held = await a.govern("send_payment", { amount: 401, to: "ACME" }) as {
      action_id: string;
      request_id: string;
      deadline: string;
    };
    await a.close();
    await new Promise((r) => setTimeout(r, 50));
    const b = await gateWith(["send_payment"]);
    const r = await b.resume(held.action_id, held.request_id);
    expect(r).toMatchObject({
      phase: "pending_approval",
      deadline: held.deadline,
      request_id: held.request_id,
    });
    await b.close();
  });
});

describe("who may resume", () => {
  test("a session that has not registered the tool is refused without consuming the approval", async () => {
    const a = await gateWith(["send_payment"]);
    const held = await a.govern("send_payment", { amount: 402, to: "ACME" }) as {
      action_id: string;
      request_id: string;
    };
    await a.close();
    await approveBoth(held.request_id);
    const b = await spawnGate(ws.configPath);
    const refused = await b.resume(held.action_id, held.request_id);
    expect(refused).toMatchObject({ phase: "rejected", kind: "unregistered_tool" });
    expect(actionState(held.action_id)).toBe("approved");
    await b.registerTool("send_payment", handler());
    expect(await b.resume(held.action_id, held.request_id)).toMatchObject({ phase: "completed" });
    expect(ran[held.action_id]).toBe(1);
    await b.close();
  });
});

describe("budgets across processes", () => {
  test("two gates spending concurrently from one budget never overspend it", async () => {
    const ws2 = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
    try {
      const gates = await Promise.all([spawnGate(ws2.configPath), spawnGate(ws2.configPath)]);
      for (const g of gates) await g.registerTool("send_payment", () => "paid");
      const results = await Promise.all(
        gates.flatMap((g) =>
          Array.from(
            { length: 6 },
            (_, i) => g.govern("send_payment", { amount: 100, to: `p${i}` }),
          )
        ),
      );
      const tally = results.map((
        r,
      ) => (r.phase === "completed" ? "completed" : (r as { kind: string }).kind)).sort();
      expect(tally).toEqual(
        [...Array(5).fill("completed"), ...Array(7).fill("budget_exhausted")].sort(),
      );
      for (const g of gates) expect(await g.close()).toBe(0);
    } finally {
      ws2.cleanup();
    }
  });
});

describe("shutdown", () => {
  test("a resume blocked in wait_ms answers pending_approval at once when the gate stops", async () => {
    const g = await gateWith(["send_payment"]);
    const held = await g.govern("send_payment", { amount: 403, to: "ACME" }) as {
      action_id: string;
      request_id: string;
    };
    const waiting = g.resume(held.action_id, held.request_id, { waitMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    g.kill("SIGTERM");
    expect(await waiting).toMatchObject({ phase: "pending_approval", request_id: held.request_id });
    expect(await g.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(actionState(held.action_id)).toBe("held");
  });
});

describe("kill -9", () => {
  test("while the body runs: after restart it is unknown, never re-run", async () => {
    const a = await spawnGate(ws.configPath);
    let started!: (id: string) => void;
    const running = new Promise<string>((r) => (started = r));
    await a.registerTool("search_docs", ({ action_id }) => {
      ran[action_id] = (ran[action_id] ?? 0) + 1;
      started(action_id);
      return new Promise(() => {}); // the body never finishes: the gate dies under it
    });
    const pending = a.govern("search_docs", { q: "x" }).catch((e) => e);
    const run = { action_id: await running };
    expect(actionState(run.action_id)).toBe("executing");
    a.kill("SIGKILL");
    await pending;
    const b = await gateWith(["search_docs"]);
    const r = await b.resume(run.action_id, "");
    expect(r).toMatchObject({ phase: "failed", kind: "outcome_unknown" });
    expect(ran[run.action_id]).toBe(1);
    expect(actionState(run.action_id)).toBe("unknown");
    await b.close();
  });

  test("right after a decision is returned: the decision is in the store", async () => {
    const a = await gateWith(["shell", "send_payment"]);
    const denied = await a.govern("shell", { cmd: "rm -rf /tmp/x" });
    const held = await a.govern("send_payment", { amount: 500, to: "Z" }) as {
      action_id: string;
      request_id: string;
    };
    a.kill("SIGKILL");
    await a.exited;
    expect(actionState(denied.action_id)).toBe("denied");
    expect(actionState(held.action_id)).toBe("held");
    const show = await runCli(["show", held.request_id, "--config", ws.configPath, "--json"]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).request.state).toBe("pending");
  });

  test("in the middle of a burst: every answered decision survives; audit verifies", async () => {
    const a = await gateWith(["search_docs"]);
    const answered: string[] = [];
    const burst = Array.from(
      { length: 200 },
      (_, i) =>
        a.govern("search_docs", { i }).then(
          (r) => void answered.push(r.action_id),
          () => undefined,
        ),
    );
    await new Promise((r) => setTimeout(r, 15));
    a.kill("SIGKILL");
    await Promise.all(burst);
    for (const id of answered) expect(actionState(id)).toBe("completed");
    const b = await gateWith(["search_docs"]);
    await b.close();
    const v = await runCli(["audit", "verify", "--config", ws.configPath]);
    expect(v.code).toBe(0);
    for (const [id, n] of Object.entries(ran)) expect([id, n]).toEqual([id, 1]);
  });
});
