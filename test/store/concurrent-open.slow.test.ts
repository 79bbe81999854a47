/**
 * Several processes opening one brand-new store at the same instant (two
 * gates spawned together) all succeed: the switch to WAL and the first
 * migration are retried while another process holds the lock.
 */
import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";

function run(path: string, at: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(import.meta.dir, "open-worker.ts"), path, String(at)]);
    let out = "";
    p.stdout.on("data", (c) => (out += c));
    p.stderr.on("data", (c) => (out += c));
    p.on("close", (code) => resolve({ code, out }));
  });
}

test("8 processes opening a new store at once all succeed, and the audit chain holds", async () => {
  for (let round = 0; round < 5; round++) {
    const dir = mkdtempSync(join(tmpdir(), "warrant-open-"));
    try {
      const path = join(dir, "w.db");
      const at = Date.now() + 400;
      const results = await Promise.all(Array.from({ length: 8 }, () => run(path, at)));
      for (const r of results) expect(r).toEqual({ code: 0, out: "ok\n" });
      const store = openStore({ path, driver: bunSqlite });
      expect(store.verifyAudit()).toMatchObject({ ok: true });
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}, 60_000);
