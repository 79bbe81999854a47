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
