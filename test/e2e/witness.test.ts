/**
 * The audit chain anchored outside the store: signed checkpoints in a
 * witness directory. Attacks done with a file copy or plain SQL — restoring
 * a backup, cutting the tail and fixing the head, rebuilding the chain,
 * emptying it, swapping in another store — are reported by `audit verify
 * --config` and refused at start by every writer (store_rolled_back, exit 1,
 * before `ready`). The backup → resume → restore → resume replay runs the
 * tool once in total. On PostgreSQL (WARRANT_E2E_STORE=postgres) the same
 * attacks are done on the schema: a backup is `store copy` to a file and
 * the restore copies it back into the emptied schema — what failing over to
 * a replica that lags behind looks like.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventHashOfText, GENESIS_HASH } from "../../src/core/audit-chain.ts";
import { EVENT_COLUMNS, hashBytes } from "../../src/store/rows.ts";
import { storedPayloadText } from "../../src/store/event-payload.ts";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { dropSchema } from "../store/postgres/pg-backend.ts";
import { E2E_PG_URL } from "./harness.ts";
import { sqliteOnlyTest, storeKind, withStoreSql } from "./store-sql.ts";

setDefaultTimeout(60_000); // each test spawns a dozen CLI processes
const spaces: Workspace[] = [];
afterEach(() => {
  for (const w of spaces.splice(0)) w.cleanup();
});

async function workspace(): Promise<Workspace> {
  const ws = await makeWorkspace({
    signed: true,
    keys: [...APPROVERS, "witness"],
    policy: (k) => e2ePolicy(k, {}, { deployTimeout: "2m" }),
    config: {
      tools: { deploy: { command: ["./deploy.sh", "{env}"] } },
      audit: {
        checkpoint_key: "keys/witness.key",
        witness: "witness",
        checkpoint_interval_ms: 50,
      },
    },
  });
  spaces.push(ws);
  writeFileSync(
    join(ws.dir, "deploy.sh"),
    `#!/bin/sh\necho "$1 $WARRANT_ACTION_ID" >> runs.log\necho "deployed $1"\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(ws.dir, "runs.log"), "");
  return ws;
}

const cli = (ws: Workspace, ...args: string[]) =>
  runCli([...args, "--config", ws.configPath], { cwd: ws.dir });
const db = (ws: Workspace) => join(ws.dir, ".warrant/warrant.db");
const runs = (ws: Workspace) =>
  readFileSync(join(ws.dir, "runs.log"), "utf8").split("\n").filter(Boolean);

/** Copy the store file (and its WAL, when one is left) — what a backup or a restore does. */
function copyStore(from: string, to: string): void {
  for (const ext of ["", "-wal", "-shm"]) {
    if (existsSync(`${from}${ext}`)) copyFileSync(`${from}${ext}`, `${to}${ext}`);
    else rmSync(`${to}${ext}`, { force: true });
  }
}

/** The store for `--store`: the file, or the schema's `postgres:ENV/SCHEMA` locator. */
const storeArg = (ws: Workspace) =>
  storeKind(ws) === "postgres" ? `postgres:WARRANT_DATABASE_URL/${ws.schema}` : db(ws);

/** A backup of the store into `file`: a file copy, or `store copy` out of the schema. */
async function backup(ws: Workspace, file: string): Promise<void> {
  if (storeKind(ws) === "sqlite") return copyStore(db(ws), file);
  const r = await cli(ws, "store", "copy", "--from", "postgres", "--to", file);
  expect({ code: r.code, err: r.stderr }).toMatchObject({ code: 0 });
}

/** Put the backup back: over the file, or into the emptied schema. */
async function restore(ws: Workspace, file: string): Promise<void> {
  if (storeKind(ws) === "sqlite") return copyStore(file, db(ws));
  dropSchema(E2E_PG_URL!, ws.schema!);
  const r = await cli(ws, "store", "copy", "--from", file, "--to", "postgres");
  expect({ code: r.code, err: r.stderr }).toMatchObject({ code: 0 });
}

/** Plain SQL on the store, with the append-only triggers dropped first. */
function sql(ws: Workspace, statements: string): void {
  withStoreSql(ws, (d) => {
    d.exec("DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;");
    d.exec(statements);
  });
}

/** Some history: two declared-tool runs (allowed) and a held one. */
async function history(ws: Workspace): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const held = await cli(ws, "exec", "deploy", "--args", `{"env":"e${i}"}`, "--json");
    const o = JSON.parse(held.stdout) as { action_id: string; request_id: string };
    expect((await cli(ws, "approve", o.request_id, "--key", ws.keys.bob!.path)).code).toBe(0);
    expect((await cli(ws, "resume", o.action_id)).code).toBe(0);
  }
}

async function expectRefused(ws: Workspace, kind: string): Promise<void> {
  const v = await cli(ws, "audit", "verify", "--json");
  expect(v.code).toBe(1);
  const out = JSON.parse(v.stdout) as { witness: { ok: boolean; kind: string } };
  expect(out.witness).toMatchObject({ ok: false, kind });
  // Every writer refuses before anything runs.
  const exec = await cli(ws, "exec", "deploy", "--args", '{"env":"after"}');
  expect(exec.code).toBe(1);
  expect(exec.stderr).toContain("[store_rolled_back]");
  let gateError = "";
  try {
    const gate = await spawnGate(ws.configPath);
    await gate.close();
  } catch (e) {
    gateError = String(e);
  }
  expect(gateError).toContain("store_rolled_back");
  expect(runs(ws).filter((l) => l.startsWith("after"))).toEqual([]);
}

describe("signed checkpoints in a witness", () => {
  test("checkpoints are written and verify; the public key is printed", async () => {
    const ws = await workspace();
    await history(ws);
    const lines = readFileSync(join(ws.dir, "witness/checkpoints.jsonl"), "utf8").trim().split(
      "\n",
    );
    expect(lines.length).toBeGreaterThan(0);
    const last = JSON.parse(lines.at(-1)!);
    expect(Object.keys(last).sort()).toEqual(
      ["at", "head", "seq", "signature", "store_id", "type"],
    );
    expect(last.type).toBe("warrant.checkpoint/v1");
    const v = await cli(ws, "audit", "verify");
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`checkpoint key ${ws.keys.witness!.publicKey}`);
    expect(v.stdout).toContain("witness OK");
  });

  test("backup → resume → restore → resume runs the tool once in total", async () => {
    const ws = await workspace();
    const held = await cli(ws, "exec", "deploy", "--args", '{"env":"prod"}', "--json");
    expect(held.code).toBe(5);
    const o = JSON.parse(held.stdout) as { action_id: string; request_id: string };
    expect((await cli(ws, "approve", o.request_id, "--key", ws.keys.bob!.path)).code).toBe(0);
    const saved = join(ws.dir, "backup.db");
    await backup(ws, saved);
    expect((await cli(ws, "resume", o.action_id)).code).toBe(0);
    expect(runs(ws).filter((l) => l.startsWith("prod"))).toHaveLength(1);
    await restore(ws, saved); // the action is "approved" again in the store
    const again = await cli(ws, "resume", o.action_id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("[store_rolled_back]");
    expect(again.stderr).toContain("older copy");
    expect(runs(ws).filter((l) => l.startsWith("prod"))).toHaveLength(1);
    await expectRefused(ws, "older_copy");
  });

  test("a cut tail with the head fixed is reported and refused", async () => {
    const ws = await workspace();
    await history(ws);
    const { last, hash } = withStoreSql(ws, (d) => {
      const last = Number(d.get<{ m: number }>("SELECT MAX(seq) AS m FROM events")!.m);
      const row = d.get<{ hash: Uint8Array }>("SELECT hash FROM events WHERE seq = ?", last - 3)!;
      return { last, hash: Buffer.from(row.hash).toString("hex") };
    });
    const keep = last - 3;
    sql(
      ws,
      `DELETE FROM events WHERE seq > ${keep};
       UPDATE meta SET value = '${keep} ${hash}' WHERE key = 'audit_head';`,
    );
    // The chain alone cannot tell: it is consistent.
    const chainOnly = await runCli(["audit", "verify", "--store", storeArg(ws)]);
    expect(chainOnly.stdout).toContain(
      "audit log OK",
    );
    await expectRefused(ws, "missing_tail");
  });

  test("a rebuilt chain (an edited event, every hash recomputed) is reported and refused", async () => {
    const ws = await workspace();
    await history(ws);
    withStoreSql(ws, (d) => {
      d.exec("DROP TRIGGER IF EXISTS events_no_update;");
      d.run("UPDATE events SET payload = ? WHERE seq = 3", '{"forged":true}');
      let prev = GENESIS_HASH;
      const rows = d.all<
        {
          seq: number;
          at: number;
          type: string;
          action_id: string | null;
          payload: string | Uint8Array;
        }
      >(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`);
      for (const r of rows) {
        // The attacker knows the stored form (packed on SQLite: store/event-payload.ts).
        const h = eventHashOfText({ ...r, prev_hash: prev }, storedPayloadText(r.payload, "t"));
        d.run(
          "UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?",
          hashBytes(prev),
          hashBytes(h),
          r.seq,
        );
        prev = h;
      }
      d.run("UPDATE meta SET value = ? WHERE key = 'audit_head'", `${rows.at(-1)!.seq} ${prev}`);
    });
    await expectRefused(ws, "rebuilt");
  });

  test("an emptied chain is reported and refused", async () => {
    const ws = await workspace();
    await history(ws);
    sql(ws, "DELETE FROM events; DELETE FROM meta WHERE key = 'audit_head';");
    await expectRefused(ws, "emptied");
  });

  test("another store swapped in is reported and refused", async () => {
    const ws = await workspace();
    await history(ws);
    if (storeKind(ws) === "postgres") dropSchema(E2E_PG_URL!, ws.schema!);
    else for (const ext of ["", "-wal", "-shm"]) rmSync(`${db(ws)}${ext}`, { force: true });
    // A fresh store in the same place (what `warrant exec` would create) has another store_id.
    const fresh = await cli(ws, "exec", "deploy", "--args", '{"env":"x"}');
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain("another store");
    await expectRefused(ws, "other_store");
  });
});

describe("config", () => {
  sqliteOnlyTest(
    "a witness inside the store's folder is refused (SQLite only: the store's folder)",
    async () => {
      const ws = await workspace();
      const c = JSON.parse(readFileSync(ws.configPath, "utf8"));
      c.audit.witness = ".warrant/witness";
      writeFileSync(ws.configPath, JSON.stringify(c));
      const r = await cli(ws, "exec", "deploy", "--args", '{"env":"x"}');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("audit.witness");
    },
  );
});
