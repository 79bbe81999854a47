/**
 * pg-merge.ts: which pipelined statements become one (data-modifying CTEs)
 * and which must not — and, against the real server, that a merged run
 * writes exactly what the separate statements wrote and fails as they did.
 */
import { afterAll, expect, test } from "bun:test";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { mergeRuns, partFor } from "../../../src/platform/pg-merge.ts";
import { dropSchema, freshSchema, pgTestUrl } from "./pg-backend.ts";

const ev = (seq: number) => ({
  op: "defer",
  sql: "INSERT INTO events (seq, type) VALUES ($1, $2)",
  params: [seq, "t"],
});
const HEAD_UPSERT = {
  op: "defer",
  sql:
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  params: ["audit_head", "1 x"],
};
const NOTIFY = { op: "defer", sql: "SELECT pg_notify($1, '')", params: ["ch"] };
const HEAD_READ = { op: "query", sql: "SELECT value FROM meta WHERE key = $1", params: ["h"] };

test("a commit's writes and its NOTIFY become one statement, parameters renumbered", () => {
  const out = mergeRuns([ev(1), ev(2), HEAD_UPSERT, NOTIFY, { op: "commit" }]);
  expect(out.length).toBe(2);
  expect(out[0]!.sql).toBe(
    "WITH w1 AS (INSERT INTO events (seq, type) VALUES ($1, $2)), " +
      "w2 AS (INSERT INTO events (seq, type) VALUES ($3, $4)), " +
      "w3 AS (INSERT INTO meta (key, value) VALUES ($5, $6) ON CONFLICT (key) DO UPDATE SET value = excluded.value) " +
      "SELECT pg_notify($7, '')",
  );
  expect(out[0]!.params).toEqual([1, "t", 2, "t", "audit_head", "1 x", "ch"]);
  expect(out[0]!.op).toBe("defer");
  expect(out[0]!.parts?.length).toBe(4);
  expect(out[1]).toEqual({ op: "commit" });
});

test("what must not merge: a read (it would not see the writes inside one statement), the same upsert twice, savepoints, kept statements", () => {
  expect(mergeRuns([HEAD_UPSERT, HEAD_READ]).map((i) => i.sql)).toEqual([
    HEAD_UPSERT.sql,
    HEAD_READ.sql,
  ]);
  // PostgreSQL refuses to upsert one row twice in a statement: two statements.
  expect(mergeRuns([HEAD_UPSERT, HEAD_UPSERT]).length).toBe(2);
  const sp = { op: "defer", sql: "SAVEPOINT grp" };
  expect(mergeRuns([ev(1), sp, ev(2)]).map((i) => i.sql)).toEqual([ev(1).sql, sp.sql, ev(2).sql]);
  const kept = { ...HEAD_READ, op: "defer", keep: true };
  expect(mergeRuns([ev(1), kept, ev(2)]).length).toBe(3);
  const action = { op: "defer", sql: "INSERT INTO actions (id) VALUES ($1)", params: ["a1"] };
  expect(mergeRuns([action, HEAD_READ]).map((i) => i.sql)).toEqual([action.sql, HEAD_READ.sql]);
  const other = { op: "query", sql: "SELECT * FROM actions WHERE id = $1", params: ["a"] };
  expect(mergeRuns([ev(1), other]).map((i) => i.sql)).toEqual([ev(1).sql, other.sql]);
  // A lone write stays as it is.
  expect(mergeRuns([ev(1)])).toEqual([ev(1)]);
});

test("an error names the part whose table PostgreSQL reports", () => {
  const parts = [ev(1).sql, HEAD_UPSERT.sql, NOTIFY.sql];
  expect(partFor(parts, "WITH …", { table_name: "meta" })).toBe(HEAD_UPSERT.sql);
  expect(partFor(parts, "WITH …", { table_name: "events" })).toBe(ev(1).sql);
  expect(partFor(parts, "WITH …", {})).toBe(ev(1).sql);
  expect(partFor(undefined, "SELECT 1", {})).toBe("SELECT 1");
});

const url = pgTestUrl();
const pgTest = url ? test : test.skip;
const schemas: string[] = [];
afterAll(() => {
  for (const s of schemas) dropSchema(url!, s);
});

pgTest("on the server: a merged run writes every row, and a failing part fails the commit", () => {
  const schema = freshSchema("merge");
  schemas.push(schema);
  const b = pgBridge({ url: url!, schema, timeoutMs: 10_000 });
  try {
    b.exec(
      `CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"; ` +
        `CREATE TABLE actions (id text PRIMARY KEY); ` +
        `CREATE TABLE events (seq bigint PRIMARY KEY, action_id text REFERENCES actions(id)); ` +
        `CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)`,
    );
    const up =
      "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    b.begin({ lockKey: 99, lockTimeoutMs: 5000 });
    b.defer("INSERT INTO events (seq, action_id) VALUES ($1, $2)", [1, "a1"]); // names an action written after it
    b.defer("INSERT INTO actions (id) VALUES ($1)", ["a1"]);
    b.defer(up, ["audit_head", "1"]);
    b.defer("SELECT pg_notify($1, '')", ["merge_test"]);
    b.commit();
    expect(b.query("SELECT (SELECT count(*) FROM events) AS e, (SELECT value FROM meta) AS v").rows)
      .toEqual([{ e: 1, v: "1" }]);
    // A duplicate seq among merged writes: the commit fails, nothing of it stays.
    b.begin({ lockKey: 99, lockTimeoutMs: 5000 });
    b.defer("INSERT INTO actions (id) VALUES ($1)", ["a2"]);
    b.defer("INSERT INTO events (seq, action_id) VALUES ($1, $2)", [1, "a2"]);
    b.defer(up, ["audit_head", "2"]);
    let err: { code?: string; deferredSql?: string } = {};
    try {
      b.commit();
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe("23505");
    expect(err.deferredSql).toBe("INSERT INTO events (seq, action_id) VALUES ($1, $2)");
    expect(
      b.query("SELECT (SELECT count(*) FROM actions) AS a, (SELECT value FROM meta) AS v").rows,
    )
      .toEqual([{ a: 1, v: "1" }]);
  } finally {
    b.close();
  }
});
