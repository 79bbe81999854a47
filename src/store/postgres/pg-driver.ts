/**
 * A SqlDriver over a PgBridge: the store's shared SQL (SQLite dialect,
 * translated by dialect.ts) and its transaction statements mapped onto
 * PostgreSQL's:
 *
 * - `BEGIN IMMEDIATE` (every write transaction) → BEGIN, then
 *   `pg_advisory_xact_lock(key)`: writers serialise on one lock per schema,
 *   exactly as SQLite writers serialise on the file lock. That lock is what
 *   gives one global audit order (each transaction reads the chain head
 *   after acquiring it, READ COMMITTED sees the previous holder's commit),
 *   budgets that never overspend (counters summed and added under it) and
 *   exactly-once starts (the compare-and-set UPDATE runs under it too).
 * - `BEGIN` (a read snapshot: audit verify) → REPEATABLE READ.
 * - `COMMIT` of a transaction that appended events → `pg_notify` first, so
 *   the notification is delivered exactly when the commit is visible.
 *
 * A writer transaction's chain-head read (store/audit-head.ts) is prefetched:
 * queued at BEGIN and sent with the first answered statement, whatever it
 * is. The writer lock is taken first, and meta is written only at COMMIT,
 * so the answer cannot change before the store asks for it (any write to
 * meta drops it). A transaction whose first statement is something else —
 * the outcome's compare-and-set — saves the head's own round trip.
 *
 * Inside a transaction the writes nobody reads an answer from — the audit
 * events, the chain head, savepoints, the NOTIFY, the lock itself — are
 * pipelined (PgBridge.defer): the writer lock is held for fewer round
 * trips. A failure among them fails the next answered statement, and the
 * transaction never commits.
 */
import type { PgBridge, SqlDriver, SqlRow, SqlValue } from "../../app/ports/sql.ts";
import { WarrantError } from "../../core/errors.ts";
import { HEAD_READ } from "../audit-head.ts";
import { appendsEvents, pipelined, returnsId, toPostgres } from "./dialect.ts";

/** The NOTIFY channel of a schema's store. */
export const channelOf = (schema: string): string => `warrant_events_${schema}`;

/** A stable 32-bit key per (purpose, schema) for pg_advisory_xact_lock. */
export function lockKey(purpose: "writer" | "migrate", schema: string): number {
  let h = 0x811c9dc5;
  for (const ch of `warrant:${purpose}:${schema}`) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  }
  return h | 0;
}

export interface PgDriver extends SqlDriver {
  readonly bridge: PgBridge;
}

/** Wrap `bridge` as the SqlDriver the shared store code expects. */
export function pgDriver(
  bridge: PgBridge,
  schema: string,
  opts: { lockTimeoutMs?: number } = {},
): PgDriver {
  let appended = false;
  const channel = channelOf(schema);
  const writerKey = lockKey("writer", schema);
  const headSql = toPostgres(HEAD_READ.sql);
  const headParams = [...HEAD_READ.params];
  /** Run `f`, naming a pipelined audit insert's duplicate seq as what it means. */
  const call = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      const d = e as { code?: string; deferredSql?: string; message?: string };
      if (d.code === "23505" && d.deferredSql && appendsEvents(d.deferredSql)) {
        const seq = /Key \(seq\)=\((\d+)\)/.exec(d.message ?? "")?.[1] ?? "?";
        throw new WarrantError(
          "store_corrupt",
          `audit log already holds seq ${seq}, beyond its recorded head: rows were added ` +
            `outside warrant; run warrant audit verify`,
          { pipelined: true },
        );
      }
      throw e;
    }
  };
  return {
    name: "postgres",
    bridge,
    exec(sql) {
      const s = sql.trim();
      if (s === "BEGIN IMMEDIATE") {
        appended = false;
        bridge.begin({ lockKey: writerKey, lockTimeoutMs: opts.lockTimeoutMs ?? 30_000 });
        bridge.prefetch(headSql, headParams);
      } else if (s === "BEGIN") {
        appended = false;
        bridge.begin({ isolation: "repeatable read" });
      } else if (s === "COMMIT") {
        if (appended) bridge.defer("SELECT pg_notify($1, '')", [channel]);
        appended = false;
        call(() => bridge.commit());
      } else if (s === "ROLLBACK") {
        appended = false;
        bridge.rollback();
      } else if (bridge.inTx && /^(SAVEPOINT|RELEASE|ROLLBACK TO) \w+$/.test(s)) {
        // A group commit's savepoints (sqlite-store.ts flushGroup) cost no
        // round trip: a pipelined write that fails there fails the group.
        bridge.defer(s);
      } else {
        call(() => bridge.exec(s));
      }
    },
    run(sql, params) {
      if (appendsEvents(sql)) appended = true;
      if (/\bmeta\b/.test(sql)) bridge.prefetched(headSql, headParams); // now stale: drop it
      if (returnsId(sql)) {
        const r = call(() => bridge.query(`${toPostgres(sql)} RETURNING id`, bind(params)));
        return { changes: r.count, lastInsertRowid: Number(r.rows[0]?.id ?? 0) };
      }
      if (bridge.inTx && pipelined(sql, params)) {
        bridge.defer(toPostgres(sql), bind(params));
        return { changes: 1, lastInsertRowid: 0 };
      }
      const r = call(() => bridge.query(toPostgres(sql), bind(params)));
      return { changes: r.count, lastInsertRowid: 0 };
    },
    get(sql, params) {
      if (sql === HEAD_READ.sql && params?.[0] === HEAD_READ.params[0]) {
        const rows = bridge.prefetched(headSql, headParams);
        if (rows) return rows[0] ?? null;
      }
      return call(() => bridge.query(toPostgres(sql), bind(params))).rows[0] ?? null;
    },
    all(sql, params) {
      return call(() => bridge.query(toPostgres(sql), bind(params))).rows as SqlRow[];
    },
    close() {
      bridge.close();
    },
  };
}

/** bigint parameters travel as numbers (every value the store binds is a safe integer). */
function bind(params: SqlValue[] | undefined): SqlValue[] {
  if (!params) return [];
  return params.some((p) => typeof p === "bigint")
    ? params.map((p) => (typeof p === "bigint" ? Number(p) : p))
    : params;
}
