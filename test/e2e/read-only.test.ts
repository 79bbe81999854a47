/**
 * Read-only verbs never write: `pending`, `show`, `audit verify` and
 * `audit export` leave the store byte for byte as it was (40 of them at
 * once, none failing), work on a copy on read-only media, and
 * `policy.loaded` is recorded only when the active policy changes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { sqliteOnlyTest, storedBytes, storeKind, withStoreSql } from "./store-sql.ts";

let ws: Workspace;
let heldAction = "";
let heldRequest = "";

beforeAll(async () => {
  ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
  for (let i = 0; i < 2; i++) {
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", () => "paid");
    const r = await gate.govern("send_payment", { amount: 500 + i, to: "ACME" });
    expect(r.phase).toBe("pending_approval");
    heldAction = r.action_id;
    heldRequest = (r as { request_id: string }).request_id;
    expect(await gate.close()).toBe(0);
  }
});
afterAll(() => ws.cleanup());

const dbPath = () => join(ws.dir, ".warrant/warrant.db");

function eventTypes(path?: string): string[] {
  return withStoreSql(
    ws,
    (db) => db.all<{ type: string }>("SELECT type FROM events ORDER BY seq").map((e) => e.type),
    { readonly: true, ...(path ? { path } : {}) },
  );
}

test("policy.loaded is recorded once for an unchanged policy, not at every start", () => {
  expect(eventTypes().filter((t) => t === "policy.loaded")).toHaveLength(1);
});

test("40 concurrent pending: no failures, no writes", async () => {
  const before = eventTypes().length;
  const bytes = storedBytes(ws);
  const runs = await Promise.all(
    Array.from({ length: 40 }, () => runCli(["pending", "--config", ws.configPath, "--json"])),
  );
  for (const r of runs) {
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout).items.length).toBe(2);
  }
  const show = await runCli(["show", heldRequest, "--config", ws.configPath]);
  expect(show.code).toBe(0);
  expect(show.stdout).toContain(heldAction);
  expect(eventTypes().length).toBe(before);
  expect(storedBytes(ws)).toEqual(bytes);
  if (storeKind(ws) === "sqlite") {
    expect(existsSync(`${dbPath()}-wal`) ? readFileSync(`${dbPath()}-wal`).length : 0).toBe(0);
  }
}, 120_000);

/**
 * Run `fn` with a fresh tmpfs mounted at a temp folder holding a copy of the
 * workspace (config, signed policy, the database and `extra` files named
 * from the store folder), remounted read-only; unmounts after. Warns and
 * returns false when no tmpfs can be mounted (not root).
 */
async function onReadOnlyCopy(
  what: string,
  extra: string[],
  fn: (cfg: string, mnt: string) => Promise<void>,
): Promise<boolean> {
  const mnt = mkdtempSync(join(tmpdir(), "warrant-ro-"));
  const mount = (...a: string[]) => spawnSync("mount", a, { encoding: "utf8" });
  const m = mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt);
  if (m.status !== 0) {
    console.warn(`SKIPPED ${what}: cannot mount a tmpfs (${m.stderr.trim()})`);
    rmSync(mnt, { recursive: true, force: true });
    return false;
  }
  try {
    mkdirSync(join(mnt, ".warrant"));
    for (const f of ["", ...extra]) {
      copyFileSync(`${dbPath()}${f}`, join(mnt, `.warrant/warrant.db${f}`));
    }
    copyFileSync(ws.configPath, join(mnt, "warrant.json"));
    mkdirSync(join(mnt, "policies"));
    for (const f of ["x.policy.json", "x.policy.json.sig"]) {
      copyFileSync(join(ws.dir, "policies", f), join(mnt, "policies", f));
    }
    expect(mount("-o", "remount,ro", mnt).status).toBe(0);
    await fn(join(mnt, "warrant.json"), mnt);
    return true;
  } finally {
    spawnSync("umount", [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
}

sqliteOnlyTest(
  "the read-only verbs work on a copy on read-only media (SQLite only: a copy of the file)",
  async () => {
    await onReadOnlyCopy("read-only media check", [], async (cfg) => {
      const verify = await runCli(["audit", "verify", "--config", cfg]);
      expect({ code: verify.code, err: verify.stderr }).toEqual({ code: 0, err: "" });
      expect(verify.stdout).toContain("audit log OK");
      const exp = await runCli(["audit", "export", "--config", cfg]);
      expect(exp.code).toBe(0);
      expect(exp.stdout.split("\n").filter((l) => l !== "").length).toBe(eventTypes().length);
      const pending = await runCli(["pending", "--config", cfg, "--json"]);
      expect({ code: pending.code, err: pending.stderr }).toEqual({ code: 0, err: "" });
      expect(JSON.parse(pending.stdout).items.length).toBe(2);
      const show = await runCli(["show", heldAction, "--config", cfg]);
      expect(show.code).toBe(0);
    });
  },
  60_000,
);

sqliteOnlyTest(
  "a copy with a non-empty -wal on read-only media is refused, not read stale (SQLite only: the WAL file)",
  async () => {
    // A running gate has commits in its WAL: a copy taken now (db + -wal, as a
    // backup of a live store would be) has its newest state only in the WAL.
    const gate = await spawnGate(ws.configPath);
    try {
      await gate.registerTool("send_payment", () => "paid");
      const r = await gate.govern("send_payment", { amount: 900, to: "ACME" });
      expect(r.phase).toBe("pending_approval");
      const wal = `${dbPath()}-wal`;
      expect(existsSync(wal) && readFileSync(wal).length > 0).toBe(true);
      await onReadOnlyCopy("read-only WAL check", ["-wal"], async (cfg, mnt) => {
        for (const argv of [["audit", "verify"], ["pending", "--json"]]) {
          const res = await runCli([...argv, "--config", cfg]);
          expect(res.code).toBe(1);
          expect(res.stdout).toBe("");
          expect(res.stderr).toContain("store_open_failed");
          expect(res.stderr).toContain(`${join(mnt, ".warrant/warrant.db")}-wal holds`);
          expect(res.stderr).toContain("wal_checkpoint");
        }
      });
    } finally {
      expect(await gate.close()).toBe(0);
    }
  },
  60_000,
);
