/**
 * Secrets stay secret: with encryption at rest on, text a tool supplies (a
 * declared tool's stderr, a hook's tool_error message) reaches the store only
 * through the payload codec. The database file, its WAL and the JSONL event
 * destination are grepped for planted secrets.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { storedBytes, storeKind } from "./store-sql.ts";

const KEY = "11".repeat(32);
const STDERR_SECRET = `TOPSECRET-${crypto.randomUUID()}`;
const HOOK_SECRET = `sk-live-${crypto.randomUUID()}`;
let ws: Workspace;

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: APPROVERS,
    policy: (k) => e2ePolicy(k),
    config: {
      store: { path: ".warrant/warrant.db", encryption_key_env: "WARRANT_DATA_KEY" },
      notify: { jsonl: ".warrant/events.jsonl" },
      tools: {
        search_docs: {
          command: ["sh", "-c", `echo "db password is ${STDERR_SECRET}" >&2; exit 3`],
        },
      },
    },
  });
});
afterAll(() => ws.cleanup());

/** Everything at rest, as latin1 text: the store (file and WAL, or every table) and the JSONL. */
function storeBytes(): Record<string, string> {
  const out = storedBytes(ws);
  const jsonl = join(ws.dir, ".warrant/events.jsonl");
  if (existsSync(jsonl)) out["events.jsonl"] = readFileSync(jsonl).toString("latin1");
  return out;
}

test("tool stderr and tool_error messages are never stored in clear", async () => {
  const env = { WARRANT_DATA_KEY: KEY };
  // A declared tool that fails, printing a secret on stderr.
  const ex = await runCli(["exec", "search_docs", "--args", "{}", "--config", ws.configPath], {
    cwd: ws.dir,
    env,
  });
  expect(ex.code).toBe(1);
  expect(ex.stdout).toContain(STDERR_SECRET); // the caller still sees what its tool said

  // A hook whose tool raises with a secret in the message; keep the gate open
  // so the WAL still holds the frames when the files are read.
  const gate = await spawnGate(ws.configPath, { env });
  await gate.registerTool("search_docs", () => {
    throw new Error(`upstream refused api_key=${HOOK_SECRET}`);
  });
  const r = await gate.govern("search_docs", { q: "x" });
  expect(r).toMatchObject({ phase: "failed", kind: "execution_failed" });
  expect(String((r as { reason?: string }).reason)).toContain(HOOK_SECRET);
  await new Promise((res) => setTimeout(res, 200)); // the JSONL destination is written after commit

  const files = storeBytes();
  // SQLite: the gate is still open, so the WAL holds the newest frames.
  expect(Object.keys(files)).toContain(
    storeKind(ws) === "sqlite" ? "warrant.db-wal" : "table events",
  );
  expect(Object.keys(files)).toContain("events.jsonl");
  for (const [name, bytes] of Object.entries(files)) {
    expect({ name, stderr: bytes.includes(STDERR_SECRET) }).toEqual({ name, stderr: false });
    expect({ name, hook: bytes.includes(HOOK_SECRET) }).toEqual({ name, hook: false });
  }
  // The events carry a digest and a size instead of the text.
  const failed = files["events.jsonl"]!.split("\n").filter((l) => l.includes('"action.failed"'));
  expect(failed.length).toBe(2);
  for (const l of failed) {
    const e = JSON.parse(l) as { payload: Record<string, unknown> };
    expect(String(e.payload.detail_digest)).toMatch(/^hmac-sha256:/); // keyed: encryption is on
    expect(Number(e.payload.detail_bytes)).toBeGreaterThan(0);
  }
  expect(await gate.close()).toBe(0);

  // An authorised reader with the key still gets the full text back.
  const show = await runCli(["show", r.action_id, "--config", ws.configPath, "--json"], { env });
  expect(show.code).toBe(0);
  expect(JSON.parse(show.stdout).action.detail).toContain(HOOK_SECRET);
  for (const bytes of Object.values(storeBytes())) {
    expect(bytes.includes(STDERR_SECRET) || bytes.includes(HOOK_SECRET)).toBe(false);
  }
});
