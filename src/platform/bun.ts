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
export const bunSqlite: SqlDriverFactory = (path: string): SqlDriver => {
  const db = new Database(path, { create: true, strict: true });
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

export { isPidAlive } from "./process.ts";
