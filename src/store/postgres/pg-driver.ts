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
 * A writer transaction's audit events are not inserted as they are
 * appended: commitSealing sends them with the COMMIT, and the server
 * numbers, chains and inserts them (pg-seal.ts). A transaction that needs
 * no answer before its end is then one round trip.
 *
 * Inside a transaction the writes nobody reads an answer from — the audit
 * events, the chain head, savepoints, the NOTIFY, the lock itself — are
 * pipelined (PgBridge.defer): the writer lock is held for fewer round
 * trips. A failure among them fails the next answered statement, and the
 * transaction never commits.
 */
import type { PgBridge, SqlDriver, SqlRow, SqlValue } from "../../app/ports/sql.ts";
import { WarrantError } from "../../core/errors.ts";
import { appendsEvents, insertsFreshAction, pipelined, returnsId, toPostgres } from "./dialect.ts";
import { sealedFrom, sealError, sealStatements } from "./pg-seal.ts";

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
  const lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
  // An integer: no quoting, one prepared text per driver.
  const lockSql = `SELECT pg_advisory_xact_lock(${writerKey})`;
  /** In a writer transaction that has not queued the writer lock yet. */
  let unlocked = false;
  /** Queue the writer lock ahead of what comes next (pipelined, answered with it). */
  const lock = () => {
    if (!unlocked) return;
    unlocked = false;
    bridge.defer(lockSql);
  };
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
        bridge.begin({ lockTimeoutMs });
        unlocked = true;
      } else if (s === "BEGIN") {
        appended = false;
        unlocked = false;
        bridge.begin({ isolation: "repeatable read" });
      } else if (s === "COMMIT") {
        lock();
        if (appended) bridge.defer("SELECT pg_notify($1, '')", [channel]);
        appended = false;
        call(() => bridge.commit());
      } else if (s === "ROLLBACK") {
        appended = false;
        unlocked = false;
        bridge.rollback();
      } else if (bridge.inTx && /^(SAVEPOINT|RELEASE|ROLLBACK TO) \w+$/.test(s)) {
        // A group commit's savepoints (sqlite-store.ts flushGroup) cost no
        // round trip: a pipelined write that fails there fails the group.
        bridge.defer(s);
      } else {
        lock();
        call(() => bridge.exec(s));
      }
    },
    run(sql, params) {
      if (!casOnAction(sql) && !insertsFreshAction(sql, params)) lock();
      if (appendsEvents(sql)) appended = true;
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
      if (!casOnAction(sql)) lock();
      return call(() => bridge.query(toPostgres(sql), bind(params))).rows[0] ?? null;
    },
    all(sql, params) {
      lock();
      return call(() => bridge.query(toPostgres(sql), bind(params))).rows as SqlRow[];
    },
    close() {
      bridge.close();
    },
    commitSealing(events) {
      lock();
      appended = false; // the seal NOTIFYs
      let rows;
      try {
        rows = bridge.commit(sealStatements(events, channel));
      } catch (e) {
        throw sealError(e);
      }
      return sealedFrom(rows ?? [], events.length);
    },
  };
}

/**
 * What a writer transaction may send before it takes the writer lock (the
 * lock goes ahead of anything else, and at the latest with the seal at
 * COMMIT): a new action with a fresh id (dialect.ts `insertsFreshAction`:
 * a row no other transaction can see or wait for) and a compare-and-set of
 * one action's state (store/action-writes.ts transitionAction), whose row
 * lock is what makes it exactly-once. The writer lock orders the audit
 * events, and nothing before it reads what another writer may be changing.
 * So a decision holds the lock only from its seal to its commit, and an
 * outcome (executing → completed) does not hold it across the round trip
 * back to the gate. A writer that takes the lock first and then wants the
 * row such a compare-and-set holds deadlocks with it: the server rolls one
 * of the two back (store_busy), whole.
 */
const casOnAction = (sql: string): boolean =>
  /^UPDATE actions SET [^;]+ WHERE id = \? AND state IN \([?,]+\) RETURNING (\*|n)$/.test(sql);

/** bigint parameters travel as numbers (every value the store binds is a safe integer). */
function bind(params: SqlValue[] | undefined): SqlValue[] {
  if (!params) return [];
  return params.some((p) => typeof p === "bigint")
    ? params.map((p) => (typeof p === "bigint" ? Number(p) : p))
    : params;
}
