/**
 * The benchmark floors (bench/floor-gate.ts, bench/floor-serve.ts) do the
 * work the report says they do: an aim marked "out of reach here" rests on
 * them. The floor gate verifies the signed policy (a tampered file does not
 * start), commits the decision before the body runs and the outcome before
 * the caller hears of it; the floor server accepts only resolutions whose
 * signature verifies, refuses a replayed nonce, and answers 201 only once
 * the row is in its store.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GateClient } from "../../src/client/gate-client.ts";
import { buildResolution, resolutionSigningBytes } from "../../src/core/approval/request.ts";
import { encodeBase64 } from "../../src/core/base64.ts";
import { getPublicKey, sign } from "../../src/core/ed25519.ts";
import { formatPublicKey } from "../../src/core/keys.ts";
import { formatSignatureDoc, signPolicyBytes } from "../../src/core/policy-signature.ts";

const ROOT = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "warrant-floors-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const seed = new Uint8Array(32).fill(3);
const pub = formatPublicKey(getPublicKey(seed));

/** A workspace with a policy allowing `echo`, signed by "ops", and a config trusting ops. */
function workspace(name: string): { config: string; policy: string; store: string } {
  const ws = join(dir, name);
  mkdirSync(join(ws, "policies"), { recursive: true });
  const policy = join(ws, "policies/p.policy.json");
  const bytes = new TextEncoder().encode(JSON.stringify({
    policy: "floor",
    version: 1,
    default: "deny",
    approvers: {},
    rules: [{ id: "echo", tool: "echo", effect: "allow" }],
  }));
  writeFileSync(policy, bytes);
  writeFileSync(`${policy}.sig`, formatSignatureDoc(signPolicyBytes(bytes, "ops", seed)));
  const config = join(ws, "warrant.json");
  writeFileSync(
    config,
    JSON.stringify({
      project: "floor",
      store: { path: ".warrant/w.db" },
      policy: { file: "policies/p.policy.json" },
      trust: { policy_signers: [{ id: "ops", public_key: pub }], policy_threshold: 1 },
    }),
  );
  return { config, policy, store: join(ws, ".warrant/w.db.floor.db") };
}

const floorGate = (config: string) => [
  process.execPath,
  join(ROOT, "bench/floor-gate.ts"),
  "runtime",
  "gate",
  "--config",
  config,
];

describe("bench/floor-gate.ts", () => {
  test("commits the decision before the body runs and the outcome before completed", async () => {
    const ws = workspace("gate");
    const gate = await GateClient.spawn(floorGate(ws.config));
    try {
      await gate.registerTool("echo", () => {
        // The body runs: its decision row is already committed (another connection sees it).
        const db = new Database(ws.store, { readonly: true });
        const rows = db.query("SELECT state FROM actions").all() as Array<{ state: string }>;
        db.close();
        return { seen: rows.map((r) => r.state) };
      });
      const r = await gate.govern("echo", { n: 1 });
      expect(r.phase).toBe("completed");
      if (r.phase !== "completed") return;
      expect(r.output).toEqual({ seen: ["executing"] });
      const db = new Database(ws.store, { readonly: true });
      expect(db.query("SELECT state, output FROM actions").all()).toEqual([
        { state: "completed", output: JSON.stringify({ seen: ["executing"] }) },
      ]);
      expect(db.query("SELECT COUNT(*) AS n FROM sessions").get()).toEqual({ n: 1 });
      db.close();
    } finally {
      await gate.close();
    }
  });

  /** Exit code and stderr of a floor gate that should not start. */
  async function refused(config: string): Promise<{ code: number | null; err: string }> {
    const argv = floorGate(config);
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    let err = "";
    p.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((ok) => p.on("exit", ok));
    return { code, err };
  }

  test("a policy changed after signing does not start", async () => {
    const ws = workspace("tampered");
    writeFileSync(ws.policy, readFileSync(ws.policy, "utf8").replace('"allow"', '"deny" '));
    expect(await refused(ws.config)).toEqual({
      code: 1,
      err: expect.stringContaining("sha256 does not match"),
    });
  });

  test("a signature by another key under the trusted id does not start", async () => {
    const ws = workspace("forged");
    const bytes = new Uint8Array(readFileSync(ws.policy));
    const other = new Uint8Array(32).fill(4);
    writeFileSync(`${ws.policy}.sig`, formatSignatureDoc(signPolicyBytes(bytes, "ops", other)));
    expect(await refused(ws.config)).toEqual({
      code: 1,
      err: expect.stringContaining("the signature does not verify"),
    });
  });
});

describe("bench/floor-serve.ts", () => {
  test("201 only for a verified, new, durable resolution; 403 forged; 409 replayed", async () => {
    const db = join(dir, "serve.db");
    const srv = spawn(process.execPath, [
      join(ROOT, "bench/floor-serve.ts"),
      "--db",
      db,
      "--keys",
      JSON.stringify({ a1: pub }),
    ], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = await new Promise<string>((ok) =>
        srv.stdout!.once("data", (c: Buffer) => ok(c.toString().trim()))
      );
      const doc = buildResolution({
        request: { id: "req_1", action_id: "act_1", action_digest: `sha256:${"0".repeat(64)}` },
        approver: "a1",
        decision: "approve",
        issuedAt: Date.now() - 1000,
        expiresAt: Date.now() + 60_000,
        nonce: new Uint8Array(16).fill(9),
      });
      const signature = encodeBase64(sign(seed, resolutionSigningBytes(doc)));
      const post = async (body: unknown) =>
        (await fetch(`http://127.0.0.1:${port}/v1/approvals/req_1/resolutions`, {
          method: "POST",
          body: JSON.stringify(body),
        })).status;
      const forged = { ...doc, decision: "deny", signature };
      expect(await post(forged)).toBe(403);
      expect(await post({ ...doc, signature })).toBe(201);
      const rows = new Database(db, { readonly: true });
      expect(rows.query("SELECT request_id, approver, decision FROM resolutions").all()).toEqual([
        { request_id: "req_1", approver: "a1", decision: "approve" },
      ]);
      rows.close();
      expect(await post({ ...doc, signature })).toBe(409);
      expect((await fetch(`http://127.0.0.1:${port}/x`)).status).toBe(200);
    } finally {
      srv.kill();
    }
  });
});
