import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { storeContract } from "./contract.ts";
import { actionIn } from "./harness.ts";

storeContract("bun:sqlite", bunSqlite, { test });

test("bun:sqlite: a request whose action row was deleted behind the foreign key reads as absent", () => {
  const dir = mkdtempSync(join(tmpdir(), "warrant-store-"));
  try {
    const path = join(dir, "w.db");
    const s = openStore({ path, driver: bunSqlite });
    const a = actionIn(s, "held");
    s.tx((tx) =>
      tx.insertRequest({
        id: "req_1",
        action_id: a,
        requirements: [{ rule: "r", quorum: 1, roles: ["x"], timeout_ms: null }],
        rules: ["r"],
        policy_id: "p",
        policy_version: 1,
        action_digest: "sha256:" + "a".repeat(64),
        deadline: 5000,
        at: 100,
      })
    );
    expect(s.getRequest("req_1")?.action_id).toBe(a);
    // An attacker with the file: no foreign keys on their connection.
    const raw = new Database(path);
    raw.exec("PRAGMA foreign_keys = OFF");
    raw.run("DELETE FROM actions WHERE id = ?", [a]);
    raw.close();
    expect(s.getRequest("req_1")).toBeNull();
    expect(s.listRequests({}).map((r) => r.id)).toEqual([]);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
