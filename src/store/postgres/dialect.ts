/**
 * The store's SQL is written once, in the SQLite dialect, and shared by
 * both adapters so that every guarantee has one code path. This file turns
 * that SQL into PostgreSQL's, statement by statement (cached): `?` → `$n`,
 * `INSERT OR IGNORE` → `ON CONFLICT DO NOTHING`, a `LIMIT ?` of -1 (SQLite's
 * "no limit") → NULL, and the two SQLite-only expressions the store uses.
 * Anything it cannot translate fails loudly in the contract suite, which
 * runs on both.
 */

import { NEXT_ACTION_N } from "../action-writes.ts";

/** Exact fragments with no generic rule (each used once in store/). */
const SPECIAL: Array<[string, string]> = [
  // key-check.ts: the oldest encrypted row (format byte 0x01).
  ["substr(args, 1, 1) = x'01' ORDER BY rowid", "get_byte(args, 0) = 1 ORDER BY created_at, id"],
  // action-writes.ts: a new action's number (pg-migrations.ts 9: why a sequence).
  [NEXT_ACTION_N, "nextval('actions_n_seq')"],
];

const cache = new Map<string, string>();

/**
 * Translate one statement of the store's SQLite SQL to PostgreSQL.
 *
 * @example toPostgres("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
 * // → "SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT NULLIF($2::bigint, -1)"
 */
export function toPostgres(sql: string): string {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  let s = sql;
  for (const [from, to] of SPECIAL) s = s.split(from).join(to);
  const ignore = /^\s*INSERT OR IGNORE INTO/i.test(s);
  if (ignore) s = s.replace(/INSERT OR IGNORE INTO/i, "INSERT INTO");
  s = s.replace(/LIMIT \?/g, "LIMIT NULLIF(?::bigint, -1)");
  s = numberParams(s);
  if (ignore) s = `${s} ON CONFLICT DO NOTHING`;
  if (cache.size > 2000) cache.clear();
  cache.set(sql, s);
  return s;
}

/** `?` → `$1, $2, …`, outside string literals and quoted names. */
function numberParams(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      out += `$${++n}`;
    } else out += ch;
  }
  return out;
}

/** Whether a statement appends to the audit log (the commit then NOTIFYs). */
export const appendsEvents = (sql: string): boolean => /^\s*INSERT INTO events\b/i.test(sql);

const HEAD_UPSERT =
  "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
/** store/action-writes.ts insertAction: idempotency_key is its 9th parameter. */
const INSERT_ACTION =
  /^INSERT INTO actions \(id, session_id, project, tool, args, args_digest, origin, correlation_id, idempotency_key,/;

/**
 * Writes whose answer the store never reads and that can fail only on a bug
 * or tampering: the audit events, the chain head / key-check upsert into
 * `meta`, budget and rate counters, and a new action without an
 * idempotency key (its id is fresh; with a key, the unique index can refuse
 * it and insertAction must see that at once). Inside a transaction they are
 * pipelined (pg-driver.ts); a failure fails the transaction's next answered
 * statement or its COMMIT.
 */
export const pipelined = (sql: string, params?: readonly unknown[]): boolean =>
  appendsEvents(sql) ||
  sql === HEAD_UPSERT ||
  /^INSERT INTO counters \(/.test(sql) ||
  insertsFreshAction(sql, params);

/** A new action without an idempotency key: a fresh id, a row nobody else can see or wait for. */
export const insertsFreshAction = (sql: string, params?: readonly unknown[]): boolean =>
  INSERT_ACTION.test(sql) && params?.[8] === null;

/** Tables whose INSERT must report the generated id (SQLite's lastInsertRowid). */
export const returnsId = (sql: string): boolean => /^\s*INSERT INTO resolutions\b/i.test(sql);
