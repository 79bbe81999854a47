/**
 * Approvals end to end, the cases that need several processes: an approval
 * never bypasses a later deny; `warrant resume` asks the live gate session
 * that owns a hook's action to run it (or says it is gone); a forged deny
 * posted over HTTP does not mask valid grants.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { buildResolution, signResolution } from "../../src/core/approval/request.ts";
import { formatSpkiPem, parsePublicKey, parseSecretKeyFile } from "../../src/core/keys.ts";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate, waitForStderr } from "./harness.ts";
import type { Workspace } from "./harness.ts";

let ws: Workspace;
beforeAll(async () => {
  ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
});
afterAll(() => ws.cleanup());

const approve = (req: string, who: string) =>
  runCli(["approve", req, "--key", ws.keys[who]!.path, "--config", ws.configPath]);

type Held = { phase: string; action_id: string; request_id: string };

describe("approvals across processes", () => {
  test("`warrant resume` runs a hook's approved action through the live gate session, once", async () => {
    let ran = 0;
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", ({ args }) => (ran++, { paid: args.amount }));
    const held = await gate.govern("send_payment", { amount: 321, to: "A" }) as Held;
    expect((await approve(held.request_id, "alice")).code).toBe(0);
    expect((await approve(held.request_id, "dave")).code).toBe(0);
    const r = await runCli(["resume", held.action_id, "--config", ws.configPath, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ phase: "completed", output: { paid: 321 } });
    expect(ran).toBe(1);
    expect(await gate.resume(held.action_id, held.request_id)).toMatchObject({
      phase: "completed",
      output: { paid: 321 },
    });
    expect(ran).toBe(1);
    expect(await gate.close()).toBe(0);
  });

  test("when the owning session is gone, `warrant resume` says the agent must resume it", async () => {
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", () => "paid");
    const held = await gate.govern("send_payment", { amount: 322, to: "A" }) as Held;
    await gate.close();
    await approve(held.request_id, "alice");
    await approve(held.request_id, "dave");
    const r = await runCli(["resume", held.action_id, "--config", ws.configPath]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("the agent must resume it");
  });

  test("a forged deny over HTTP is refused and does not mask two valid grants", async () => {
    let ran = 0;
    const gate = await spawnGate(ws.configPath, {}, ["--http", "127.0.0.1:0"]);
    const url = await waitForStderr(gate, /"url":"(http:\/\/[^"]+)"/);
    await gate.registerTool("send_payment", () => (ran++, "paid"));
    const held = await gate.govern("send_payment", { amount: 323, to: "A" }) as Held;
    const req = await (await fetch(`${url}/v1/approvals/${held.request_id}`)).json() as {
      request_id: string;
      action_id: string;
      action_digest: string;
    };
    // Claims to be alice, signed with bob's key.
    const bob = parseSecretKeyFile(readFileSync(ws.keys.bob!.path, "utf8"), "bob.key");
    const now = Date.now();
    const forged = signResolution(
      buildResolution({
        request: { id: req.request_id, action_id: req.action_id, action_digest: req.action_digest },
        approver: "alice",
        decision: "deny",
        issuedAt: now,
        expiresAt: now + 600_000,
        nonce: crypto.getRandomValues(new Uint8Array(16)),
      }),
      bob.secret,
    );
    const post = await fetch(`${url}/v1/approvals/${held.request_id}/resolutions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(forged),
    });
    expect(post.status).toBe(403);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe(
      "resolution_signature_invalid",
    );
    expect((await approve(held.request_id, "alice")).code).toBe(0);
    expect((await approve(held.request_id, "dave")).code).toBe(0);
    expect(await gate.resume(held.action_id, held.request_id, { waitMs: 5000 })).toMatchObject({
      phase: "completed",
    });
    expect(ran).toBe(1);
    expect(await gate.close()).toBe(0);
  });

  test("`warrant approve --endpoint` signs locally and posts over HTTP; the gate's resume completes", async () => {
    let ran = 0;
    const gate = await spawnGate(ws.configPath, {}, ["--http", "127.0.0.1:0"]);
    const url = await waitForStderr(gate, /"url":"(http:\/\/[^"]+)"/);
    await gate.registerTool("send_payment", () => (ran++, "paid"));
    const held = await gate.govern("send_payment", { amount: 325, to: "A" }) as Held;
    for (const who of ["alice", "dave"]) {
      const r = await runCli([
        "approve",
        held.request_id,
        "--key",
        ws.keys[who]!.path,
        "--endpoint",
        url,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`via ${url}`);
    }
    const again = await runCli([
      "approve",
      held.request_id,
      "--key",
      ws.keys.alice!.path,
      "--endpoint",
      url,
    ]);
    expect(again.code).toBe(4); // README: 4, the request is closed
    expect(again.stderr).toContain("request_closed");
    expect(await gate.resume(held.action_id, held.request_id, { waitMs: 5000 })).toMatchObject({
      phase: "completed",
    });
    expect(ran).toBe(1);
    expect(await gate.close()).toBe(0);
  });

  test("an approver whose policy key is an SPKI PEM can approve from the CLI", async () => {
    const pem = await makeWorkspace({
      signed: true,
      keys: APPROVERS,
      policy: (k) => {
        const doc = e2ePolicy(k) as { approvers: Record<string, { key: string }> };
        for (const a of Object.values(doc.approvers)) a.key = formatSpkiPem(parsePublicKey(a.key));
        return doc;
      },
    });
    try {
      const gate = await spawnGate(pem.configPath);
      await gate.registerTool("send_payment", () => "paid");
      const held = await gate.govern("send_payment", { amount: 326, to: "A" }) as Held;
      for (const who of ["alice", "dave"]) {
        const r = await runCli([
          "approve",
          held.request_id,
          "--key",
          pem.keys[who]!.path,
          "--config",
          pem.configPath,
        ]);
        expect(r.code).toBe(0);
      }
      expect(await gate.resume(held.action_id, held.request_id, { waitMs: 5000 })).toMatchObject({
        phase: "completed",
      });
      expect(await gate.close()).toBe(0);
    } finally {
      pem.cleanup();
    }
  });

  test("an approval never bypasses a later deny: the policy changes, resume is precondition_failed", async () => {
    let ran = 0;
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", () => (ran++, "paid"));
    const held = await gate.govern("send_payment", { amount: 324, to: "MEGACORP" }) as Held;
    await approve(held.request_id, "alice");
    await approve(held.request_id, "dave");
    const doc = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    doc.version += 1;
    doc.rules.push({
      id: "megacorp-banned",
      tool: "send_payment",
      when: { to: { eq: "MEGACORP" } },
      effect: "deny",
    });
    writeFileSync(ws.policyPath, JSON.stringify(doc, null, 2));
    expect((await runCli(["policy", "sign", ws.policyPath, "--key", ws.keys.ops!.path])).code).toBe(
      0,
    );
    gate.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 400));
    const r = await gate.resume(held.action_id, held.request_id);
    expect(r).toMatchObject({ phase: "rejected", kind: "precondition_failed" });
    expect((r as { reason: string }).reason).toContain("megacorp-banned");
    expect(ran).toBe(0);
    expect(await gate.close()).toBe(0);
  });
});
