/**
 * `store copy` pages every table by a unique key (keyset paging), never by
 * OFFSET: rows whose ordering columns tie — here 1,300 budget counters of
 * one action at one instant under ten keys, more than two pages, some
 * identical — come
 * across exactly once each, PostgreSQL → SQLite → PostgreSQL. (With OFFSET,
 * PostgreSQL's top-N sort, which is not stable, ordered the ties
 * differently for each page: rows were skipped and others copied twice.)
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../../src/app/ports/store.ts";
import { bunSqlite } from "../../../src/platform/bun.ts";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { openPgStore } from "../../../src/store/postgres/pg-store.ts";
import { openStore, SqliteStore } from "../../../src/store/sqlite-store.ts";
import { copyStore } from "../../../src/store/store-copy.ts";
import { dropSchema, freshSchema, pgTestUrl } from "./pg-backend.ts";
import { actionIn } from "../harness.ts";

const url = pgTestUrl();
const pgTest = url ? test : test.skip;
const schemas = [freshSchema("copya"), freshSchema("copyb")];
const dir = mkdtempSync(join(tmpdir(), "warrant-copy-"));
const opened: Store[] = [];
afterAll(() => {
  for (const s of opened) s.close();
  if (url) { for (const s of schemas) dropSchema(url, s); }
  rmSync(dir, { recursive: true, force: true });
});

const pg = (schema: string) => {
  const s = openPgStore({ url: url!, schema, bridge: pgBridge });
  opened.push(s);
  return s;
};

/** Every counter row as "key at amount action", sorted: the multiset of rows. */
function counters(s: Store): string[] {
  return (s as SqliteStore).sqlDriver.all("SELECT key, at, amount, action_id FROM counters")
    .map((r) => `${r.key} ${r.at} ${r.amount} ${r.action_id}`).sort();
}

pgTest("rows whose order ties are copied exactly once each, both ways", () => {
  const a = pg(schemas[0]!);
  a.tx((tx) => {
    // One action, one instant, ten keys in a scrambled order: within a key
    // only the amount differs — and every tenth amount repeats, so some rows
    // are identical.
    for (let i = 0; i < 1300; i++) {
      const key = `budget:k${(i * 7919) % 10}`;
      tx.addCounter(key, i % 10 === 0 ? 7 : i, 5, "act_x");
    }
  });
  const want = counters(a);
  expect(want.length).toBe(1300);
  expect(new Set(want).size).toBe(1300 - 129);

  const b = openStore({ path: join(dir, "copy.db"), driver: bunSqlite });
  opened.push(b);
  const r1 = copyStore(a, b);
  expect(r1.rows.counters).toBe(1300);
  expect(counters(b)).toEqual(want);
  expect(b.verifyAudit()).toMatchObject({ ok: true });

  const c = pg(schemas[1]!);
  const r2 = copyStore(b, c);
  expect(r2.rows.counters).toBe(1300);
  expect(counters(c)).toEqual(want);
  expect(r2.head).toEqual(r1.head);
  expect(c.verifyAudit()).toMatchObject({ ok: true });
});

pgTest("actions keep their numbers across copies, and the copy numbers new ones after them", () => {
  const lite = openStore({ path: join(dir, "numbered.db"), driver: bunSqlite });
  opened.push(lite);
  const ids = ["completed", "denied", "held"].map((st) => actionIn(lite, st as "held"));
  const schema = freshSchema("copyn");
  schemas.push(schema);
  const p = pg(schema);
  copyStore(lite, p);
  const numbers = (s: Store) =>
    (s as SqliteStore).sqlDriver.all("SELECT id, n FROM actions ORDER BY n")
      .map((r) => `${r.id} ${Number(r.n)}`);
  expect(numbers(p)).toEqual(ids.map((id, i) => `${id} ${i + 1}`));
  // A new action on the copy: the next number (PostgreSQL's sequence moved past the copied ones).
  const next = actionIn(p, "completed");
  expect(numbers(p).at(-1)).toBe(`${next} 4`);
  expect(p.events({ actionId: next }).map((e) => e.type)).toEqual([
    "action.proposed",
    "action.allowed",
    "action.executing",
    "action.completed",
  ]);
  expect(p.verifyAudit()).toEqual({ ok: true, checked: 13 });
  // And back: the numbers come along, and SQLite numbers after them too.
  const back = openStore({ path: join(dir, "numbered-back.db"), driver: bunSqlite });
  opened.push(back);
  copyStore(p, back);
  const later = actionIn(back, "denied");
  expect(numbers(back)).toEqual([...numbers(p), `${later} 5`]);
  expect(back.verifyAudit()).toEqual({ ok: true, checked: 15 });
});
