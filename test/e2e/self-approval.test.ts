/**
 * Attacks by someone who can write the store file (the agent's own user):
 * plain SQL marks a held action approved, or edits an approved action's
 * arguments. Approvals are re-verified from the signed resolution documents
 * before anything starts, so nothing runs, the refusal is recorded
 * (approval_unverified), and `audit verify` reports the edited rows.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { withStoreSql } from "./store-sql.ts";

let ws: Workspace;
const log = () => join(ws.dir, "runs.log");
const runs = () => readFileSync(log(), "utf8").split("\n").filter(Boolean);

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: APPROVERS,
    policy: (k) => e2ePolicy(k),
    config: { tools: { deploy: { command: ["./deploy.sh", "{env}"] } } },
  });
  writeFileSync(
    join(ws.dir, "deploy.sh"),
    `#!/bin/sh\necho "$1 $WARRANT_ACTION_ID" >> runs.log\necho "deployed $1"\n`,
    { mode: 0o755 },
  );
  writeFileSync(log(), "");
});
afterAll(() => ws.cleanup());

/** What the attacker runs: plain SQL on the store (the file, or the schema), no key. */
function sql(statements: string): void {
  withStoreSql(ws, (db) => db.exec(statements));
}

/** The self-approval: both state columns say "approved", no resolution is stored. */
function selfApprove(actionId: string, requestId: string): void {
  sql(
    `UPDATE approval_requests SET state = 'approved', resolved_at = 1 WHERE id = '${requestId}';
     UPDATE actions SET state = 'approved' WHERE id = '${actionId}';`,
  );
}

const cli = (...args: string[]) => runCli([...args, "--config", ws.configPath], { cwd: ws.dir });
const approve = (req: string, who: string) => cli("approve", req, "--key", ws.keys[who]!.path);

type Held = { phase: string; action_id: string; request_id: string };

function recordedKind(actionId: string): { state: string; kind: string | null } {
  return withStoreSql(
    ws,
    (db) =>
      db.get<{ state: string; kind: string | null }>(
        "SELECT state, kind FROM actions WHERE id = ?",
        actionId,
      )!,
    { readonly: true },
  );
}

function eventTypes(actionId: string): string[] {
  return withStoreSql(
    ws,
    (db) =>
      db.all<{ type: string }>(
        "SELECT type FROM events WHERE action_n = (SELECT n FROM actions WHERE id = ?) ORDER BY seq",
        actionId,
      )
        .map((r) => r.type),
    { readonly: true },
  );
}

describe("self-approval with plain SQL", () => {
  test("hook tool: a 1,000,000 payment marked approved by SQL does not run; refusal recorded", async () => {
    let ran = 0;
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", () => (ran++, { paid: true }));
    const held = await gate.govern("send_payment", { amount: 1_000_000, to: "EVIL" }) as Held;
    expect(held.phase).toBe("pending_approval");
    selfApprove(held.action_id, held.request_id);
    const r = await gate.resume(held.action_id, held.request_id);
    expect(r).toMatchObject({ phase: "rejected", kind: "approval_unverified" });
    expect(String((r as { reason?: string }).reason)).toContain("do not meet the quorum");
    // A repeat answers the recorded refusal, and `warrant resume` too.
    expect(await gate.resume(held.action_id, held.request_id)).toMatchObject({
      kind: "approval_unverified",
    });
    const viaCli = await cli("resume", held.action_id, "--json");
    expect(viaCli.code).toBe(4);
    expect(JSON.parse(viaCli.stdout)).toMatchObject({ kind: "approval_unverified" });
    expect(ran).toBe(0);
    expect(recordedKind(held.action_id)).toEqual({
      state: "rejected",
      kind: "approval_unverified",
    });
    expect(eventTypes(held.action_id)).toContain("action.rejected");
    expect(await gate.close()).toBe(0);
    // `audit verify` no longer says OK: the request row disagrees with the chain.
    const v = await cli("audit", "verify");
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(
      `approval_requests ${held.request_id}: state is approved, the audit log recorded pending`,
    );
  });

  test("hook tool via `warrant resume` (run request to the live gate): nothing runs", async () => {
    let ran = 0;
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", () => (ran++, { paid: true }));
    const held = await gate.govern("send_payment", { amount: 500_000, to: "EVIL" }) as Held;
    // One genuine approval out of the two needed, then the SQL shortcut.
    expect((await approve(held.request_id, "alice")).code).toBe(0);
    selfApprove(held.action_id, held.request_id);
    const r = await cli("resume", held.action_id, "--json");
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: "approval_unverified" });
    expect(ran).toBe(0);
    expect(await gate.close()).toBe(0);
  });

  test("declared tool: exec → SQL approval → `warrant resume` runs nothing", async () => {
    const held = await cli("exec", "deploy", "--args", '{"env":"prod"}', "--json");
    expect(held.code).toBe(5);
    const o = JSON.parse(held.stdout) as Held;
    selfApprove(o.action_id, o.request_id);
    const r = await cli("resume", o.action_id, "--json");
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({
      phase: "rejected",
      kind: "approval_unverified",
    });
    expect(runs().filter((l) => l.includes(o.action_id))).toHaveLength(0);
    expect(recordedKind(o.action_id).kind).toBe("approval_unverified");
  });

  test("a genuinely approved action whose arguments are then edited by SQL does not run", async () => {
    const ran: unknown[] = [];
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", ({ args }) => (ran.push(args), { paid: true }));
    const held = await gate.govern("send_payment", { amount: 150, to: "ACME" }) as Held;
    expect((await approve(held.request_id, "alice")).code).toBe(0);
    expect((await approve(held.request_id, "dave")).code).toBe(0);
    // Plaintext payloads are a version byte (0) then the JSON text.
    const forged = new TextEncoder().encode('{"amount":1000000,"to":"EVIL"}');
    withStoreSql(ws, (db) =>
      db.run(
        "UPDATE actions SET args = ? WHERE id = ?",
        Uint8Array.of(0, ...forged),
        held.action_id,
      ));
    const r = await gate.resume(held.action_id, held.request_id);
    expect(r).toMatchObject({ phase: "rejected", kind: "approval_unverified" });
    expect(ran).toEqual([]);
    expect(await gate.close()).toBe(0);
  });

  test("with two genuine approvals the same path still runs exactly once", async () => {
    let ran = 0;
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", () => (ran++, { paid: true }));
    const held = await gate.govern("send_payment", { amount: 250, to: "ACME" }) as Held;
    expect((await approve(held.request_id, "alice")).code).toBe(0);
    expect((await approve(held.request_id, "dave")).code).toBe(0);
    expect(await gate.resume(held.action_id, held.request_id)).toMatchObject({
      phase: "completed",
    });
    expect(ran).toBe(1);
    expect(await gate.close()).toBe(0);
  });
});

describe("one key under two approver names", () => {
  test("`policy check` and `policy sign` refuse it, naming both entries", async () => {
    const k = ws.keys;
    const p = e2ePolicy(k) as { approvers: Record<string, unknown> };
    p.approvers["alice-backup"] = { key: k.alice!.publicKey, roles: ["finance"] };
    const file = join(ws.dir, "policies/twonames.policy.json");
    writeFileSync(file, JSON.stringify(p, null, 2));
    const check = await runCli(["policy", "check", file]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('approvers "alice" and "alice-backup" have the same public key');
    const sign = await runCli(["policy", "sign", file, "--key", k.ops!.path]);
    expect(sign.code).toBe(1);
    expect(sign.stderr).toContain('approvers "alice" and "alice-backup"');
  });
});
