/**
 * One PostgreSQL store shared by several processes (issue 13), against the
 * compiled binary and the real server of WARRANT_TEST_PG_URL:
 * - a hold made by gate A, approved over HTTP on `serve` B, resumed by gate
 *   C — while C waits in wait_ms, woken by LISTEN/NOTIFY;
 * - 8 gates spending one budget and one rate limit concurrently never
 *   overspend;
 * - 8 processes resuming one approved action run it once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GateClient } from "../../src/client/gate-client.ts";
import { auth, startServe, TOKEN } from "../http/serve-harness.ts";
import { publicKeyOf, signedResolution } from "../http/signer.ts";
import { runCli, spawnGate } from "./harness.ts";
import { pgE2eUrl, type PgWorkspace, pgWorkspace } from "./pg-harness.ts";

const url = pgE2eUrl("multi-process PostgreSQL tests");
const pgTest = url ? test : test.skip;

let ws: PgWorkspace;
beforeAll(async () => {
  if (!url) return;
  ws = await pgWorkspace(url, {
    signed: true,
    keys: ["ops1"],
    policy: (k) => ({
      policy: "multi",
      version: 1,
      default: "deny",
      approvers: {
        alice: { key: publicKeyOf("alice"), roles: ["finance"] },
        carol: { key: publicKeyOf("carol"), roles: ["finance"] },
        ops1: { key: k.ops1!.publicKey, roles: ["ops"] },
      },
      budgets: { usd: { limit: 500, window: "24h", scope: "project" } },
      rules: [
        {
          id: "small",
          tool: "send_payment",
          when: { amount: { lte: 100 } },
          effect: "allow",
          spend: { budget: "usd", amount: "amount" },
        },
        {
          id: "large",
          tool: "send_payment",
          when: { amount: { gt: 100 } },
          effect: "hold",
          approval: { quorum: 2, roles: ["finance"], timeout: "30m" },
        },
        {
          id: "pings",
          tool: "ping",
          effect: "allow",
          rate: { max: 20, window: "1h", scope: "project" },
        },
        {
          id: "deploys",
          tool: "deploy",
          effect: "hold",
          approval: { quorum: 1, roles: ["ops"], timeout: "30m" },
        },
      ],
    }),
    config: {
      http: { token_env: "WARRANT_HTTP_TOKEN" },
      tools: { deploy: { command: ["sh", "-c", 'sleep 0.2; echo "$0" >> runs.log', "{env}"] } },
    },
  });
}, 120_000);
afterAll(() => ws?.cleanup());

const gateOf = (name: string) => spawnGate(ws.configPath, { env: { ...ws.env, GATE: name } });

pgTest(
  "a hold on gate A, approved over HTTP on serve B, resumed by gate C (woken by NOTIFY)",
  async () => {
    const a = await gateOf("A");
    const c = await gateOf("C");
    const srv = await startServe(ws, { env: { ...ws.env, WARRANT_HTTP_TOKEN: TOKEN } });
    try {
      const ranOn: string[] = [];
      await a.registerTool("send_payment", () => {
        ranOn.push("A");
        return { paid: true };
      });
      await c.registerTool("send_payment", ({ args }) => {
        ranOn.push("C");
        return { paid: args.amount };
      });
      const held = await a.govern("send_payment", { amount: 250 });
      expect(held.phase).toBe("pending_approval");
      const { action_id, request_id } = held as unknown as {
        action_id: string;
        request_id: string;
      };

      // C waits for the approvals before they exist: a commit on B must wake it.
      const resumed = c.resume(action_id, request_id, { waitMs: 60_000 });

      const v = await (await fetch(`${srv.url}/v1/approvals/${request_id}`, { headers: auth }))
        .json();
      expect(v.action_id).toBe(action_id);
      for (const who of ["alice", "carol"]) {
        const r = await fetch(`${srv.url}/v1/approvals/${request_id}/resolutions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(signedResolution(v, who)),
        });
        expect(r.status).toBe(201);
      }
      expect(await resumed).toMatchObject({ phase: "completed", output: { paid: 250 } });
      expect(ranOn).toEqual(["C"]);

      // B's SSE stream, replayed from the table, has what A and C wrote.
      const sse = await fetch(`${srv.url}/v1/events?after=0&action_id=${action_id}`, {
        headers: auth,
      });
      const reader = sse.body!.getReader();
      let text = "";
      while (!text.includes("action.completed")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      for (const t of ["action.held", "request.approved", "action.executing", "action.completed"]) {
        expect(text).toContain(t);
      }
    } finally {
      await srv.stop();
      await a.close();
      await c.close();
    }
    expect((await runCli(["audit", "verify", "--config", ws.configPath], { env: ws.env })).code)
      .toBe(0);
  },
  120_000,
);

pgTest("8 gates spending one budget and one rate limit at once never overspend", async () => {
  const gates: GateClient[] = await Promise.all(
    Array.from({ length: 8 }, (_, i) => gateOf(`G${i}`)),
  );
  let paid = 0;
  let pinged = 0;
  try {
    for (const g of gates) {
      await g.registerTool("send_payment", ({ args }) => {
        paid += Number(args.amount);
        return { ok: true };
      });
      await g.registerTool("ping", () => {
        pinged++;
        return { pong: true };
      });
    }
    // 8 × 10 payments of 10 against a budget of 500; 8 × 5 pings against 20 an hour.
    const results = await Promise.all(gates.flatMap((g, gi) => [
      ...Array.from(
        { length: 10 },
        (_, i) => g.govern("send_payment", { amount: 10, n: `${gi}.${i}` }),
      ),
      ...Array.from({ length: 5 }, (_, i) => g.govern("ping", { n: `${gi}.${i}` })),
    ]));
    const pay = results.filter((_, i) => i % 15 < 10);
    const ping = results.filter((_, i) => i % 15 >= 10);
    expect(pay.filter((r) => r.phase === "completed").length).toBe(50);
    expect(pay.filter((r) => r.phase === "rejected" && r.kind === "budget_exhausted").length)
      .toBe(30);
    expect(ping.filter((r) => r.phase === "completed").length).toBe(20);
    expect(ping.filter((r) => r.phase === "rejected" && r.kind === "rate_limited").length).toBe(20);
    expect([paid, pinged]).toEqual([500, 20]);
  } finally {
    for (const g of gates) await g.close();
  }
  expect((await runCli(["audit", "verify", "--config", ws.configPath], { env: ws.env })).code)
    .toBe(0);
}, 180_000);

pgTest("8 processes resuming one approved action run it once", async () => {
  const cli = (...args: string[]) =>
    runCli([...args, "--config", ws.configPath], { cwd: ws.dir, env: ws.env, timeoutMs: 120_000 });
  const held = await cli("exec", "deploy", "--args", JSON.stringify({ env: "prod" }), "--json");
  expect(held.code).toBe(5);
  const o = JSON.parse(held.stdout) as { action_id: string; request_id: string };
  expect((await cli("approve", o.request_id, "--key", ws.keys.ops1!.path)).code).toBe(0);
  const runs = await Promise.all(
    Array.from({ length: 8 }, () => cli("resume", o.action_id, "--json")),
  );
  for (const r of runs) {
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout).phase).toBe("completed");
  }
  const log = join(ws.dir, "runs.log");
  expect(existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []).toEqual(["prod"]);
  const exp = await cli("audit", "export");
  const events = exp.stdout.trim().split("\n").map((l) => JSON.parse(l));
  expect(
    events.filter((e) => e.action_id === o.action_id && e.type === "action.executing").length,
  ).toBe(1);
  expect((await cli("audit", "verify")).code).toBe(0);
}, 180_000);
