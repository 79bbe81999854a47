/**
 * A store written by warrant at schema 7 (test/fixtures/store-schema7.sql:
 * the sqlite3 `.dump` of a store made by the schema-7 code, with encryption
 * at rest on under KEY_A; store-schema7.json: what that code read back from
 * it, and its `audit verify`) opened by this warrant: it migrates, every
 * action, request and event reads exactly as the schema-7 code read it,
 * `audit verify` passes with the same head, new rows are written in the
 * newer layout, and tampering with an old or a new row is still caught.
 */
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeAead } from "../../src/platform/aead.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { eventHashOfText } from "../../src/core/audit-chain.ts";
import type { EventRecord } from "../../src/core/records.ts";
import { PACKED_V1 } from "../../src/store/event-payload.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/store/migrations.ts";
import { createPayloadCodec } from "../../src/store/payload-codec.ts";
import { hashBytes } from "../../src/store/rows.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { actionIn, KEY_A } from "./harness.ts";

const FIXTURE = new URL("../fixtures/store-schema7.sql", import.meta.url);
const SNAPSHOT = JSON.parse(
  readFileSync(new URL("../fixtures/store-schema7.json", import.meta.url), "utf8"),
) as {
  events: EventRecord[];
  actions: unknown[];
  requests: unknown[];
  verify: { ok: boolean; checked: number };
};
const ACTION_IDS = (SNAPSHOT.actions as Array<{ id: string }>).map((a) => a.id);

/** A schema-7 store file, fresh for each test. */
function schema7(fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "warrant-s7-"));
  try {
    const path = join(dir, "warrant.db");
    const db = new Database(path);
    db.exec(readFileSync(FIXTURE, "utf8"));
    expect(db.query("SELECT MAX(version) AS v FROM schema_migrations").get()).toEqual({ v: 7 });
    db.close();
    fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const codec = () => createPayloadCodec({ key: KEY_A, aead: nodeAead });
const open = (path: string) => openStore({ path, driver: bunSqlite, codec: codec() });

function tamper(path: string, sql: string, params: Array<string | number | Uint8Array> = []) {
  const db = new Database(path);
  db.exec("DROP TRIGGER IF EXISTS events_no_update");
  db.query(sql).run(...params);
  db.close();
}

test("schema 7 → now: every action, request and event reads as before; verify passes with the same head", () => {
  expect(SNAPSHOT.verify).toEqual({ ok: true, checked: 26 });
  schema7((path) => {
    const s = open(path);
    try {
      const raw = new Database(path, { readonly: true });
      expect(raw.query("SELECT MAX(version) AS v FROM schema_migrations").get()).toEqual({
        v: SCHEMA_VERSION,
      });
      raw.close();
      expect(s.events({})).toEqual(SNAPSHOT.events);
      expect(ACTION_IDS.map((id) => s.getAction(id))).toEqual(SNAPSHOT.actions as never);
      expect(s.listRequests({})).toEqual(SNAPSHOT.requests as never);
      for (const id of ACTION_IDS) {
        expect(s.events({ actionId: id })).toEqual(
          SNAPSHOT.events.filter((e) => e.action_id === id),
        );
      }
      expect(s.verifyAudit()).toEqual(SNAPSHOT.verify);
      const last = SNAPSHOT.events.at(-1)!;
      expect(s.events({ afterSeq: last.seq - 1 })).toEqual([last]);

      // New rows chain onto the old head in the new layout; the whole log verifies.
      const id = actionIn(s, "completed", { session: "ses_01m8pm5syms4tztsbs8r86x6dd" });
      const added = s.events({ afterSeq: last.seq });
      expect(added[0]!.prev_hash).toBe(last.hash);
      expect(added.map((e) => e.type)).toEqual([
        "action.proposed",
        "action.allowed",
        "action.executing",
        "action.completed",
      ]);
      expect(s.events({ actionId: id })).toEqual(added);
      expect(s.verifyAudit()).toEqual({ ok: true, checked: 30 });
      // Actions numbered in insertion order; new events store the number, old
      // ones (and the late callback about an id with no action) the id.
      const refs = new Database(path, { readonly: true });
      expect(refs.query("SELECT n FROM actions ORDER BY rowid").all()).toEqual(
        [1, 2, 3, 4, 5, 6].map((n) => ({ n })),
      );
      expect(
        refs.query("SELECT action_id, action_n FROM events WHERE seq > ? ORDER BY seq").all(
          last.seq,
        ),
      ).toEqual(added.map(() => ({ action_id: null, action_n: 6 })));
      expect(
        refs.query("SELECT COUNT(*) AS n FROM events WHERE action_n IS NOT NULL AND seq <= ?").get(
          last.seq,
        ),
      ).toEqual({ n: 0 });
      refs.close();
      expect(s.events({ actionId: "act_not_in_this_store" }).map((e) => e.type)).toEqual([
        "protocol.late_callback",
      ]);
      const db = new Database(path, { readonly: true });
      const kinds = db.query("SELECT seq, typeof(payload) AS t, payload FROM events ORDER BY seq")
        .all() as Array<{ seq: number; t: string; payload: string | Uint8Array }>;
      db.close();
      expect(kinds.filter((r) => r.seq <= last.seq).every((r) => r.t === "text")).toBe(true);
      expect(
        kinds.filter((r) => r.seq > last.seq).every((r) =>
          r.t === "blob" && (r.payload as Uint8Array)[0] === PACKED_V1
        ),
      ).toBe(true);
    } finally {
      s.close();
    }
    // Without the data key the events and the chain still read (payloads carry no arguments).
    const noKey = openStore({ path, driver: bunSqlite, readOnly: true });
    try {
      expect(noKey.events({ limit: SNAPSHOT.events.length })).toEqual(SNAPSHOT.events);
    } finally {
      noKey.close();
    }
  });
});

test("schema 7 → now: an edited old row, and one re-hashed after a new row was chained on, are caught", () => {
  const old = SNAPSHOT.events.find((e) => e.type === "action.allowed")!;
  schema7((path) => {
    open(path).close();
    tamper(path, "UPDATE events SET payload = ? WHERE seq = ?", [
      '{"effect":"allow","from":"proposed","policy_id":"p","policy_version":1,"rules":["x"]}',
      old.seq,
    ]);
    const s = open(path);
    try {
      const r = s.verifyAudit();
      expect([r.ok, r.first_bad?.seq]).toEqual([false, old.seq]);
      expect(r.first_bad!.problem).toContain("hash mismatch");
    } finally {
      s.close();
    }
  });
  schema7((path) => {
    const s = open(path);
    try {
      actionIn(s, "denied", { session: "ses_01m8pm5syms4tztsbs8r86x6dd" });
      const denied = s.events({ afterSeq: SNAPSHOT.events.length + 1 })[0]!;
      expect(denied.type).toBe("action.denied");
      // The attacker re-hashes the edited old row: the next row's link breaks.
      const forged = { ...old, payload: { ...old.payload, rules: ["x"] } };
      const text = JSON.stringify(
        Object.fromEntries(Object.entries(forged.payload).sort(([a], [b]) => (a < b ? -1 : 1))),
      );
      tamper(path, "UPDATE events SET payload = ?, hash = ? WHERE seq = ?", [
        text,
        hashBytes(eventHashOfText(forged, text)),
        old.seq,
      ]);
      const r = s.verifyAudit();
      expect([r.ok, r.first_bad?.seq]).toEqual([false, old.seq + 1]);
    } finally {
      s.close();
    }
  });
});

test("schema 9 → 10: actions keep their numbers (also ones that differ from the old rowid), n becomes the rowid, references stay enforced", () => {
  schema7((path) => {
    // Bring the file to schema 9 as that code did, then renumber its actions
    // (as a store copy into a file with other rows, or any gap, may leave them).
    const db = new Database(path);
    for (const m of MIGRATIONS.filter((m) => m.version > 7 && m.version <= 9)) {
      db.exec(m.sql);
      db.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)").run(m.version);
    }
    db.exec("UPDATE actions SET n = n * 10 + 100");
    const before = db.query("SELECT id, n FROM actions ORDER BY n").all();
    expect(before.length).toBe(ACTION_IDS.length);
    db.close();

    const s = open(path);
    try {
      expect(ACTION_IDS.map((id) => s.getAction(id))).toEqual(SNAPSHOT.actions as never);
      expect(s.verifyAudit()).toEqual(SNAPSHOT.verify);
      const id = actionIn(s, "completed", { session: "ses_01m8pm5syms4tztsbs8r86x6dd" });
      expect(s.verifyAudit()).toEqual({ ok: true, checked: 30 });
      // A reference to a missing action is still refused (foreign keys back on after the rebuild).
      expect(() =>
        s.tx((tx) =>
          tx.insertRequest({
            id: "req_missing_action",
            action_id: "act_not_in_this_store",
            requirements: [],
            rules: [],
            policy_id: "p",
            policy_version: 1,
            action_digest: "sha256:00",
            deadline: 1,
            at: 1,
          })
        )
      ).toThrow(/FOREIGN KEY/);
      const raw = new Database(path, { readonly: true });
      expect(raw.query("SELECT id, n FROM actions WHERE id != ? ORDER BY n").all(id)).toEqual(
        before,
      );
      const max = (before.at(-1) as { n: number }).n;
      expect(raw.query("SELECT n, n = rowid AS alias FROM actions WHERE id = ?").get(id)).toEqual({
        n: max + 1,
        alias: 1,
      });
      expect(raw.query("SELECT name FROM pragma_table_info('actions') WHERE pk = 1").all())
        .toEqual([{ name: "n" }]);
      expect(raw.query("SELECT name FROM sqlite_master WHERE name = 'actions_n'").all()).toEqual(
        [],
      );
      expect(raw.query("PRAGMA foreign_key_check").all()).toEqual([]);
      // The new action's events name it by its number.
      expect(
        raw.query("SELECT DISTINCT action_n FROM events WHERE action_n IS NOT NULL").all(),
      ).toEqual([{ action_n: max + 1 }]);
      raw.close();
    } finally {
      s.close();
    }
  });
});
