/**
 * Bun adapters: the bun:sqlite driver and process helpers. One of the only
 * files allowed to name Bun runtime modules (DESIGN.md, layout).
 */
import { Database, type SQLQueryBindings } from "bun:sqlite";
import type { SqlDriver, SqlDriverFactory, SqlRow, SqlValue } from "../app/ports/sql.ts";

/**
 * Open (creating) a SQLite file with bun:sqlite. `strict: true` binds
 * positional parameters without prefixes; `db.query()` caches each prepared
 * statement by its SQL text. Pragmas are the store's business, not the
 * driver's. Throws the binding's error when the file cannot be opened.
 *
 * @example const db = bunSqlite("/tmp/w.db"); db.get("SELECT 1 AS one") // → { one: 1 }
 */
export const bunSqlite: SqlDriverFactory = (path, opts = {}): SqlDriver => {
  const db = opts.immutable
    ? new Database(immutableUri(path), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
    : opts.readOnly
    ? new Database(path, { readonly: true, strict: true })
    : new Database(path, { create: true, strict: true });
  const bind = (params: SqlValue[] | undefined) => (params ?? []) as SQLQueryBindings[];
  return {
    name: "bun:sqlite",
    exec(sql) {
      db.run(sql);
    },
    run(sql, params) {
      const r = db.query(sql).run(...bind(params));
      return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
    },
    get(sql, params) {
      return (db.query(sql).get(...bind(params)) as SqlRow | null) ?? null;
    },
    all(sql, params) {
      return db.query(sql).all(...bind(params)) as SqlRow[];
    },
    close() {
      db.close(false);
    },
  };
};

const SQLITE_OPEN_READONLY = 0x01;
const SQLITE_OPEN_URI = 0x40;

/** A `file:` URI opening `path` as immutable (no locks, no WAL index). */
function immutableUri(path: string): string {
  return `file:${encodeURI(path).replace(/[?#]/g, encodeURIComponent)}?immutable=1`;
}

export { isPidAlive } from "./process.ts";
