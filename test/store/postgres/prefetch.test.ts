/**
 * The chain head's prefetch (pg-driver.ts): a writer transaction queues the
 * head's read at BEGIN and sends it with its first answered statement, so
 * a transaction that asks for the head second (the outcome's
 * compare-and-set, then its event) saves a round trip. The answer must be
 * the head under the writer lock, never a stale one: another writer's
 * commit before the lock is seen, and a write to meta inside the
 * transaction drops it.
 */
import { afterAll, expect, test } from "bun:test";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { HEAD_READ } from "../../../src/store/audit-head.ts";
import { pgDriver } from "../../../src/store/postgres/pg-driver.ts";
import { dropSchema, freshSchema, pgTestUrl } from "./pg-backend.ts";

const url = pgTestUrl();
const pgTest = url ? test : test.skip;
const schemas: string[] = [];
afterAll(() => {
  for (const s of schemas) dropSchema(url!, s);
});

/** Two drivers on a fresh schema holding just `meta` (the head's table) and `t`. */
function setup() {
  const schema = freshSchema("prefetch");
  schemas.push(schema);
  const admin = pgBridge({ url: url!, schema: "public" });
  admin.exec(
    `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); ` +
      `CREATE TABLE "${schema}".t (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO "${schema}".t VALUES (1, 0); ` +
      `INSERT INTO "${schema}".meta VALUES ('audit_head', '1 ${"a".repeat(64)}')`,
  );
  admin.close();
  const open = () => pgDriver(pgBridge({ url: url!, schema, timeoutMs: 10_000 }), schema);
  return { a: open(), b: open() };
}

const head = (d: ReturnType<typeof pgDriver>) =>
  String(d.get(HEAD_READ.sql, [...HEAD_READ.params])?.value);

pgTest(
  "the head comes back with the first answered statement, with what other writers committed",
  () => {
    const { a, b } = setup();
    try {
      // b commits a new head first; a's transaction begins after and must see it.
      b.exec("BEGIN IMMEDIATE");
      b.run("UPDATE meta SET value = ? WHERE key = ?", [`2 ${"b".repeat(64)}`, "audit_head"]);
      b.exec("COMMIT");
      a.exec("BEGIN IMMEDIATE");
      expect(a.run("UPDATE t SET n = n + 1 WHERE id = ?", [1]).changes).toBe(1);
      // Answered with the UPDATE: the bridge holds its rows, no round trip left.
      const rows = a.bridge.prefetched(
        "SELECT value FROM meta WHERE key = $1",
        [...HEAD_READ.params],
      );
      expect(rows?.map((r) => r.value)).toEqual([`2 ${"b".repeat(64)}`]);
      a.exec("ROLLBACK");
      // Through the driver, as the store reads it.
      a.exec("BEGIN IMMEDIATE");
      expect(a.run("UPDATE t SET n = n + 1 WHERE id = ?", [1]).changes).toBe(1);
      expect(head(a)).toBe(`2 ${"b".repeat(64)}`);
      a.exec("COMMIT");
    } finally {
      a.close();
      b.close();
    }
  },
);

pgTest("a write to meta inside the transaction drops the prefetched head", () => {
  const { a, b } = setup();
  try {
    a.exec("BEGIN IMMEDIATE");
    expect(a.run("UPDATE t SET n = n + 1 WHERE id = ?", [1]).changes).toBe(1); // head came back
    a.run("UPDATE meta SET value = ? WHERE key = ?", [`7 ${"c".repeat(64)}`, "audit_head"]);
    expect(head(a)).toBe(`7 ${"c".repeat(64)}`);
    a.exec("COMMIT");
    expect(head(b)).toBe(`7 ${"c".repeat(64)}`);
  } finally {
    a.close();
    b.close();
  }
});

pgTest("a head read as the first statement goes alone (the queued prefetch is dropped)", () => {
  const { a } = setup();
  try {
    a.exec("BEGIN IMMEDIATE");
    expect(head(a)).toBe(`1 ${"a".repeat(64)}`);
    // Nothing left to serve: the next read asks the server.
    expect(a.bridge.prefetched("SELECT value FROM meta WHERE key = $1", [...HEAD_READ.params]))
      .toBeNull();
    a.exec("COMMIT");
  } finally {
    a.close();
  }
});

pgTest("a transaction that fails before its first answer leaves no prefetch behind", () => {
  const { a } = setup();
  try {
    a.exec("BEGIN IMMEDIATE");
    expect(() => a.run("UPDATE nope SET n = 1", [])).toThrow(/nope/);
    a.exec("ROLLBACK");
    a.exec("BEGIN IMMEDIATE");
    expect(a.bridge.prefetched("SELECT value FROM meta WHERE key = $1", [...HEAD_READ.params]))
      .toBeNull(); // queued again at BEGIN, not yet sent: dropped, ask the server
    expect(head(a)).toBe(`1 ${"a".repeat(64)}`);
    a.exec("COMMIT");
  } finally {
    a.close();
  }
});
