/**
 * The node:sqlite driver (`DatabaseSync`): works in Deno 2 and Node 22+.
 * Statements are prepared once per SQL text and kept in a Map.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqlDriver, SqlDriverFactory, SqlRow, SqlValue } from "../app/ports/sql.ts";
import { immutableUri } from "./sqlite-uri.ts";

/**
 * Open (creating) a SQLite file with node:sqlite. Pragmas are the store's
 * business. Throws the binding's error when the file cannot be opened.
 *
 * @example const db = nodeSqlite("/tmp/w.db"); db.get("SELECT 1 AS one") // → { one: 1 }
 */
export const nodeSqlite: SqlDriverFactory = (path, opts = {}): SqlDriver => {
  const db = opts.readOnly
    ? new DatabaseSync(
      opts.immutable ? immutableUri(path) : path,
      { readOnly: true },
    )
    : new DatabaseSync(path);
  const cache = new Map<string, StatementSync>();
  const prep = (sql: string): StatementSync => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  // deno-lint-ignore no-explicit-any
  const bind = (params: SqlValue[] | undefined) => (params ?? []) as any[];
  return {
    name: "node:sqlite",
    exec(sql) {
      db.exec(sql);
    },
    run(sql, params) {
      const r = prep(sql).run(...bind(params));
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    },
    get(sql, params) {
      return (prep(sql).get(...bind(params)) as SqlRow | undefined) ?? null;
    },
    all(sql, params) {
      return prep(sql).all(...bind(params)) as SqlRow[];
    },
    close() {
      cache.clear();
      db.close();
    },
  };
};
