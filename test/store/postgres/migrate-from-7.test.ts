/**
 * A PostgreSQL store at schema 7 (the PostgreSQL migrations up to 7, filled
 * with the rows of the schema-7 fixture store, test/fixtures/store-schema7.*)
 * opened by this warrant: it migrates (actions numbered, events by number
 * from then on), every action, request and event reads as the schema-7 code
 * read it, `audit verify` passes with the same head, and new events chain on.
 */
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { nodeAead } from "../../../src/platform/aead.ts";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import type { SqlValue } from "../../../src/app/ports/sql.ts";
import type { EventRecord } from "../../../src/core/records.ts";
import { SCHEMA_VERSION } from "../../../src/store/migrations.ts";
import { createPayloadCodec } from "../../../src/store/payload-codec.ts";
import { PG_MIGRATIONS } from "../../../src/store/postgres/pg-migrations.ts";
import { openPgStore } from "../../../src/store/postgres/pg-store.ts";
import { actionIn, KEY_A } from "../harness.ts";
import { dropSchema, freshSchema, pgTestUrl, rawPg } from "./pg-backend.ts";

const url = pgTestUrl();
const pgTest = url ? test : test.skip;
const schema = freshSchema("m7");
afterAll(() => {
  if (url) dropSchema(url, schema);
});

const SNAPSHOT = JSON.parse(
  readFileSync(new URL("../../fixtures/store-schema7.json", import.meta.url), "utf8"),
) as {
  events: EventRecord[];
  actions: Array<{ id: string }>;
  requests: unknown[];
  verify: { ok: boolean; checked: number };
};

/** Tables in foreign-key order (as store copy moves them). */
const TABLES = [
  "meta",
  "sessions",
  "session_tools",
  "actions",
  "approval_requests",
  "resolutions",
  "counters",
  "policy_versions",
  "policy_documents",
  "project_policy",
  "events",
  "run_requests",
];

pgTest(
  "PostgreSQL schema 7 → now: every record reads as before, verify passes with the same head",
  () => {
    // The schema as warrant at schema 7 made it.
    const admin = pgBridge({ url: url!, schema: "public" });
    admin.exec(`CREATE SCHEMA "${schema}"`);
    admin.close();
    const b = pgBridge({ url: url!, schema });
    b.exec(
      "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, applied_at bigint NOT NULL)",
    );
    for (const m of PG_MIGRATIONS.filter((m) => m.version <= 7)) {
      b.exec(m.sql);
      b.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
        m.version,
        1,
      ]);
    }
    b.close();
    // Its rows: those of the schema-7 fixture store, column for column.
    const lite = new Database(":memory:");
    lite.exec(readFileSync(new URL("../../fixtures/store-schema7.sql", import.meta.url), "utf8"));
    const raw = rawPg(url!, schema);
    try {
      for (const t of TABLES) {
        for (const r of lite.query(`SELECT * FROM ${t}`).all() as Array<Record<string, SqlValue>>) {
          const cols = Object.keys(r);
          raw.run(
            `INSERT INTO ${t} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})` +
              // migration 4 wrote chain_canonical_from already; the file's value wins
              (t === "meta" ? " ON CONFLICT (key) DO UPDATE SET value = excluded.value" : ""),
            cols.map((c) => r[c]!),
          );
        }
      }
    } finally {
      raw.close();
      lite.close();
    }

    const s = openPgStore({
      url: url!,
      schema,
      bridge: pgBridge,
      codec: createPayloadCodec({ key: KEY_A, aead: nodeAead }),
    });
    try {
      const check = rawPg(url!, schema);
      expect(Number(check.get("SELECT MAX(version) AS v FROM schema_migrations")!.v)).toBe(
        SCHEMA_VERSION,
      );
      // Actions numbered in creation order.
      expect(check.all("SELECT n FROM actions ORDER BY created_at, id").map((r) => Number(r.n)))
        .toEqual(SNAPSHOT.actions.map((_, i) => i + 1));
      check.close();
      expect(s.events({})).toEqual(SNAPSHOT.events);
      expect(SNAPSHOT.actions.map((a) => s.getAction(a.id))).toEqual(SNAPSHOT.actions as never);
      expect(s.listRequests({})).toEqual(SNAPSHOT.requests as never);
      for (const a of SNAPSHOT.actions) {
        expect(s.events({ actionId: a.id })).toEqual(
          SNAPSHOT.events.filter((e) => e.action_id === a.id),
        );
      }
      expect(s.verifyAudit()).toEqual(SNAPSHOT.verify);

      // A transition of an old action and a new action chain on; the log verifies.
      const held = SNAPSHOT.actions[4]!.id;
      s.tx((tx) => tx.transition(held, ["held"], "rejected", {}, 2_000_000_000_000));
      const id = actionIn(s, "completed", { session: "ses_01m8pm5syms4tztsbs8r86x6dd" });
      expect(s.events({ actionId: held }).map((e) => e.type)).toEqual([
        "action.proposed",
        "request.created",
        "action.held",
        "action.rejected",
      ]);
      expect(s.events({ actionId: id }).map((e) => e.type)).toEqual([
        "action.proposed",
        "action.allowed",
        "action.executing",
        "action.completed",
      ]);
      // New events name their action by number (5: the old held one, 6: the
      // new one); the new one's first event may keep its id instead, when it
      // went in the statement that inserted the action (a merged run,
      // platform/pg-merge.ts, does not see its own rows).
      const after = rawPg(url!, schema);
      const refs = after.all(
        "SELECT action_id, action_n FROM events WHERE seq > ? ORDER BY seq",
        [SNAPSHOT.events.length],
      ).map((r) => r.action_n === null ? String(r.action_id) : Number(r.action_n));
      after.close();
      expect([refs[0], refs[1] === id ? 6 : refs[1], ...refs.slice(2)]).toEqual([5, 6, 6, 6, 6]);
      expect(s.verifyAudit()).toEqual({ ok: true, checked: SNAPSHOT.events.length + 5 });
    } finally {
      s.close();
    }
  },
);
