/**
 * The store's key and files: a wrong data key is refused at start before
 * anything is written; `warrant store rotate-key` re-encrypts and verifies;
 * whatever the umask, the store folder is 0700 and its files 0600; a key
 * file readable by group or others is refused with the chmod that fixes it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { GateClient } from "../../src/client/gate-client.ts";
import { BINARY, ensureBinary, makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { sqliteOnlyTest, storedBytes } from "./store-sql.ts";

const KEY = "11".repeat(32);
const WRONG = "22".repeat(32);
const NEXT = "33".repeat(32);
let ws: Workspace;

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: APPROVERS,
    policy: (k) => e2ePolicy(k),
    config: {
      store: { path: ".warrant/warrant.db", encryption_key_env: "WARRANT_DATA_KEY" },
      notify: { jsonl: ".warrant/events.jsonl" },
    },
  });
});
afterAll(() => ws.cleanup());

test("a wrong data key is refused at start (data_key_mismatch) and nothing is written", async () => {
  const gate = await spawnGate(ws.configPath, { env: { WARRANT_DATA_KEY: KEY } });
  await gate.registerTool("search_docs", ({ args }) => args);
  const r = await gate.govern("search_docs", { q: "first" });
  expect(r.phase).toBe("completed");
  expect(await gate.close()).toBe(0);
  // Everything at rest: the file and its WAL, or every table of the schema.
  const before = storedBytes(ws);

  for (const argv of [["runtime", "gate"], ["pending"], ["show", r.action_id]]) {
    const bad = await runCli([...argv, "--config", ws.configPath], {
      env: { WARRANT_DATA_KEY: WRONG },
      stdin: "",
    });
    expect({ argv, code: bad.code }).toEqual({ argv, code: 1 });
    expect(bad.stderr).toContain("data_key_mismatch");
    expect(bad.stdout).toBe("");
  }
  expect(storedBytes(ws)).toEqual(before);

  const good = await runCli(["show", r.action_id, "--config", ws.configPath, "--json"], {
    env: { WARRANT_DATA_KEY: KEY },
  });
  expect(good.code).toBe(0);
  expect(JSON.parse(good.stdout).action.args).toEqual({ q: "first" });
});

test("store rotate-key re-encrypts under the new key and verifies it", async () => {
  const rot = await runCli(
    ["store", "rotate-key", "--new-key-env", "NEW_KEY", "--config", ws.configPath, "--json"],
    { env: { WARRANT_DATA_KEY: KEY, NEW_KEY: NEXT } },
  );
  expect(rot.code).toBe(0);
  expect(JSON.parse(rot.stdout)).toMatchObject({ rotated: true });
  expect(JSON.parse(rot.stdout).actions).toBeGreaterThan(0);

  const old = await runCli(["pending", "--config", ws.configPath], {
    env: { WARRANT_DATA_KEY: KEY },
  });
  expect(old.code).toBe(1);
  expect(old.stderr).toContain("data_key_mismatch");

  const now = await runCli(
    ["show", "--json", "--config", ws.configPath, ...(await firstAction())],
    {
      env: { WARRANT_DATA_KEY: NEXT },
    },
  );
  expect(now.code).toBe(0);
  expect(JSON.parse(now.stdout).action.args).toEqual({ q: "first" });
  const verify = await runCli(["audit", "verify", "--config", ws.configPath]);
  expect(verify.code).toBe(0);
});

test("store rotate-key reports progress on stderr: text lines, or JSON log lines with --json", async () => {
  const THIRD = "44".repeat(32);
  const text = await runCli(
    ["store", "rotate-key", "--new-key-env", "NEW_KEY", "--config", ws.configPath],
    { env: { WARRANT_DATA_KEY: NEXT, NEW_KEY: THIRD, WARRANT_PROGRESS_MS: "0" } },
  );
  expect(text.code).toBe(0);
  const n = Number(/re-encrypted and verified (\d+) action/.exec(text.stdout)?.[1]);
  expect(n).toBeGreaterThan(0);
  expect(text.stderr).toContain(`warrant: store rotate-key: ${n} of ${n} actions re-encrypted…`);
  expect(text.stderr).toContain(`warrant: store rotate-key: ${n} of ${n} actions verified…`);

  const json = await runCli(
    ["store", "rotate-key", "--new-key-env", "NEW_KEY", "--config", ws.configPath, "--json"],
    { env: { WARRANT_DATA_KEY: THIRD, NEW_KEY: NEXT, WARRANT_PROGRESS_MS: "0" } },
  );
  expect(json.code).toBe(0);
  const events = json.stderr.trim().split("\n").map((l) => JSON.parse(l));
  expect(events.map((e) => [e.msg, e.step, e.unit, e.done, e.total])).toEqual([
    ["progress", "store rotate-key", "actions re-encrypted", n, n],
    ["progress", "store rotate-key", "actions verified", n, n],
  ]);
  for (const e of events) expect(e.t).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(JSON.parse(json.stdout)).toMatchObject({ rotated: true, actions: n, verified: n });
  // (back under NEXT, as the tests below expect)
});

async function firstAction(): Promise<string[]> {
  const r = await runCli(["audit", "export", "--config", ws.configPath]);
  const ev = r.stdout.split("\n").filter((l) => l.includes('"action.proposed"'))[0]!;
  return [JSON.parse(ev).action_id as string];
}

sqliteOnlyTest(
  "umask 000: the store folder is 0700, database, WAL, SHM and JSONL 0600 (SQLite only: the database files' modes)",
  async () => {
    const fresh = await makeWorkspace({
      policy: { policy: "p", version: 1, default: "allow", rules: [] },
      config: { notify: { jsonl: ".warrant/events.jsonl" } },
    });
    try {
      await ensureBinary();
      const g = await GateClient.spawn(
        ["sh", "-c", `umask 000; exec "${BINARY}" runtime gate --config "${fresh.configPath}"`],
        { cwd: fresh.dir },
      );
      await g.registerTool("echo", ({ args }) => args);
      expect((await g.govern("echo", { x: 1 })).phase).toBe("completed");
      await new Promise((r) => setTimeout(r, 200));
      const mode = (p: string) => (statSync(join(fresh.dir, p)).mode & 0o777).toString(8);
      // While the gate runs, the WAL and SHM exist.
      expect({
        dir: mode(".warrant"),
        db: mode(".warrant/warrant.db"),
        wal: mode(".warrant/warrant.db-wal"),
        shm: mode(".warrant/warrant.db-shm"),
        jsonl: mode(".warrant/events.jsonl"),
      }).toEqual({ dir: "700", db: "600", wal: "600", shm: "600", jsonl: "600" });
      expect(await g.close()).toBe(0);
    } finally {
      fresh.cleanup();
    }
  },
);

test("a key file readable by group or others is refused with the chmod fix", async () => {
  const key = ws.keys.alice!.path;
  chmodSync(key, 0o644);
  try {
    const r = await runCli(["policy", "sign", ws.policyPath, "--key", key]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`chmod 600 ${key}`);
    expect(r.stderr).toContain("key_file_invalid");
    const a = await runCli(["approve", "req_x", "--key", key, "--config", ws.configPath], {
      env: { WARRANT_DATA_KEY: NEXT },
    });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(`chmod 600 ${key}`);
  } finally {
    chmodSync(key, 0o600);
  }
});
