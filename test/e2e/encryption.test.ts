/**
 * Encryption at rest through the binary: arguments and outputs are never in
 * the database file in clear; a missing key refuses to start; a wrong key
 * fails loudly instead of returning garbage.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DATA_KEY, encryptedWorkspace } from "./fixtures.ts";
import { runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { storedBytes } from "./store-sql.ts";

const KEY = DATA_KEY;
const WRONG = "22".repeat(32);
let ws: Workspace;
beforeAll(async () => {
  ws = await encryptedWorkspace();
});
afterAll(() => ws.cleanup());

test("args and outputs are encrypted at rest; the wrong key fails loudly", async () => {
  const secret = "card-4111-1111-1111-1111";
  const gate = await spawnGate(ws.configPath, { env: { WARRANT_DATA_KEY: KEY } });
  await gate.registerTool("search_docs", ({ args }) => ({ echoed: args, note: `out-${secret}` }));
  const r = await gate.govern("search_docs", { q: secret });
  expect(r).toMatchObject({ phase: "completed", output: { echoed: { q: secret } } });
  expect(await gate.close()).toBe(0);

  // The database file and its WAL (no WAL left after a clean close), or every table.
  const stored = storedBytes(ws);
  expect(Object.keys(stored).length).toBeGreaterThan(0);
  for (const [where, bytes] of Object.entries(stored)) {
    expect({ where, clear: bytes.includes(secret) }).toEqual({ where, clear: false });
  }

  const ok = await runCli(["show", r.action_id, "--config", ws.configPath, "--json"], {
    env: { WARRANT_DATA_KEY: KEY },
  });
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout).action.args).toEqual({ q: secret });

  const wrong = await runCli(["show", r.action_id, "--config", ws.configPath], {
    env: { WARRANT_DATA_KEY: WRONG },
  });
  expect(wrong.code).toBe(1);
  // Refused when the store opens (the key check), before any row is read or written.
  expect(wrong.stderr).toContain("data_key_mismatch");
  expect(wrong.stdout).not.toContain(secret);

  const missing = await runCli(["runtime", "gate", "--config", ws.configPath], {
    env: { WARRANT_DATA_KEY: "" },
    stdin: "",
  });
  expect(missing.code).toBe(1);
  expect(missing.stdout).toBe("");
  expect(missing.stderr).toContain("WARRANT_DATA_KEY");
});
