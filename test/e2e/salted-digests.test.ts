/**
 * Digests do not give arguments away: with encryption at rest on, the
 * args_digest a store records (row and audit event) is keyed, and a hold's
 * action_digest is salted with a per-request random value stored encrypted,
 * so trying every small argument value against the stored digests finds
 * nothing. Approvers are shown the salt with the arguments and still
 * recompute the digest themselves.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { actionDigest, jsonDigest } from "../../src/core/digest.ts";
import { DATA_KEY, encryptedWorkspace } from "./fixtures.ts";
import { runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { storeSql } from "./store-sql.ts";
import { storedPayloadValue } from "../../src/store/event-payload.ts";

const KEY = DATA_KEY;
let ws: Workspace;
beforeAll(async () => {
  ws = await encryptedWorkspace();
});
afterAll(() => ws.cleanup());

test("a two-field argument cannot be brute-forced from the stored digests", async () => {
  const env = { WARRANT_DATA_KEY: KEY };
  const gate = await spawnGate(ws.configPath, { env });
  await gate.registerTool("send_payment", () => "paid");
  const args = { amount: 173, to: "Bob Smith" };
  const held = await gate.govern("send_payment", args) as {
    phase: string;
    action_id: string;
    request_id: string;
  };
  expect(held.phase).toBe("pending_approval");

  const db = storeSql(ws, { readonly: true });
  const row = db.get<Record<string, string | number>>(
    "SELECT a.args_digest, a.session_id, r.action_digest, r.policy_id, r.policy_version " +
      "FROM actions a JOIN approval_requests r ON r.action_id = a.id WHERE a.id = ?",
    held.action_id,
  )!;
  const eventDigests = db.all<{ payload: string | Uint8Array }>(
    // An event names its action by number (schema 9): actions.n.
    "SELECT payload FROM events WHERE action_n = (SELECT n FROM actions WHERE id = ?)",
    held.action_id,
  ).flatMap((e) =>
    Object.values(storedPayloadValue(e.payload, "test")).filter((v) =>
      typeof v === "string" && /^(sha256|hmac-sha256)/.test(v)
    )
  );
  db.close();
  expect(String(row.args_digest)).toMatch(/^hmac-sha256:/);
  expect(eventDigests).toContain(row.args_digest);
  expect(eventDigests).toContain(row.action_digest);

  // An attacker with the database file tries every amount up to 1000 for a list of names.
  const names = ["Alice Jones", "Bob Smith", "Carol White", "Dave Brown", "Eve Black"];
  const stored = new Set([String(row.args_digest), String(row.action_digest), ...eventDigests]);
  let tried = 0;
  let found: unknown = null;
  for (let amount = 0; amount <= 1000 && !found; amount++) {
    for (const to of names) {
      const guess = { amount, to };
      tried++;
      const candidates = [
        jsonDigest(guess),
        actionDigest({
          action_id: held.action_id,
          session_id: String(row.session_id),
          tool: "send_payment",
          args: guess,
          policy: { id: String(row.policy_id), version: Number(row.policy_version) },
        }),
      ];
      if (candidates.some((c) => stored.has(c))) found = guess;
    }
  }
  expect(tried).toBe(1001 * names.length); // the true value was among the guesses
  expect(found).toBeNull();

  // The approver sees the salt with the arguments and recomputes the digest.
  const p = await runCli(["pending", "--config", ws.configPath, "--json"], { env });
  const view = (JSON.parse(p.stdout).items as Array<Record<string, unknown>>)
    .find((r) => r.request_id === held.request_id)!;
  expect(typeof view.salt).toBe("string");
  expect(actionDigest({
    action_id: String(view.action_id),
    session_id: String(view.session_id),
    tool: String(view.tool),
    args: view.args as Record<string, unknown>,
    policy: view.policy as { id: string; version: number },
    salt: view.salt as string,
  })).toBe(view.action_digest as string);
  for (const who of ["alice", "carol"]) {
    const a = await runCli(
      ["approve", held.request_id, "--key", ws.keys[who]!.path, "--config", ws.configPath],
      { env },
    );
    expect({ who, code: a.code, err: a.code === 0 ? "" : a.stderr }).toEqual({
      who,
      code: 0,
      err: "",
    });
  }
  const r = await gate.resume(held.action_id, held.request_id);
  expect(r).toMatchObject({ phase: "completed", output: "paid" });
  expect(await gate.close()).toBe(0);
});
