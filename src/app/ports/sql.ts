/**
 * The SqlDriver port: the small synchronous surface the SQLite store needs
 * from a binding. Adapters: bun:sqlite (platform/bun.ts) and node:sqlite
 * (platform/node-sqlite.ts).
 */

export type SqlValue = string | number | bigint | null | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

/** The small surface the store needs from a SQLite binding. */
export interface SqlDriver {
  /** Run one or more statements with no parameters and no results. */
  exec(sql: string): void;
  /** Run one statement; returns the number of changed rows. Statements are cached. */
  run(sql: string, params?: SqlValue[]): { changes: number; lastInsertRowid: number };
  /** First row or null. */
  get(sql: string, params?: SqlValue[]): SqlRow | null;
  /** All rows. */
  all(sql: string, params?: SqlValue[]): SqlRow[];
  close(): void;
  /** "bun:sqlite" or "node:sqlite". */
  readonly name: string;
  /**
   * Present where the server numbers and chains the audit events itself
   * (PostgreSQL: store/postgres/pg-seal.ts): a writer transaction hands it
   * the events it appended instead of inserting them, and it commits them
   * with the transaction, answering the seq and hash each one got.
   */
  readonly commitSealing?: (events: SealEvent[]) => Sealed;
}

/** An audit event for commitSealing: its stored fields and its canonical text around prev_hash and seq. */
export interface SealEvent {
  at: number;
  type: string;
  action_id: string | null;
  /** The payload's canonical JSON text (stored as is, and hashed). */
  payload: string;
  /** `{"action_id":…,"at":…,"payload":…,"prev_hash":"` */
  pre: string;
  /** `,"type":…}` */
  post: string;
}

/** What the server assigned: the head it started from, then each event's seq and hash. */
export interface Sealed {
  from: { seq: number; hash: string };
  events: Array<{ seq: number; hash: string }>;
}

/**
 * Opens a database file and returns a driver: creating it, or with
 * `readOnly` never writing to it (nor creating it); `immutable` also skips
 * the WAL index, for a copy on read-only media that nobody writes to — and
 * is refused (store_open_failed) when a non-empty `-wal` is beside the file,
 * whose commits such an open would ignore.
 */
export type SqlDriverFactory = (
  path: string,
  opts?: { readOnly?: boolean; immutable?: boolean },
) => SqlDriver;

/**
 * A synchronous connection to PostgreSQL (platform/pg-bridge.ts): the
 * PostgreSQL dialect with `$n` parameters. No JavaScript driver is
 * synchronous, so the adapter runs one in a worker thread and blocks the
 * calling thread on each round trip; the Store port stays synchronous.
 * Failures carry `code`: a SQLSTATE ("23505"…) from the server, or the
 * WarrantError codes store_unavailable (no server: refused at once while
 * reconnecting with backoff) and store_busy (lock wait timed out).
 */
export interface PgBridge {
  /** One statement; rows (bytea as Uint8Array, int8 as number) and the affected row count. */
  query(sql: string, params?: SqlValue[]): { rows: SqlRow[]; count: number };
  /** Statements without parameters (several allowed). */
  exec(sql: string): void;
  /**
   * Send one statement inside the open transaction without waiting for its
   * answer (pipelined): for writes whose result nobody reads. Its failure is
   * thrown by the next call that waits (with `deferredSql` naming it), and a
   * COMMIT after it rolls back instead.
   */
  defer(sql: string, params?: SqlValue[]): void;
  /**
   * Open a transaction on one connection; with `lockKey`, first wait for
   * `pg_advisory_xact_lock(lockKey)`. `lockTimeoutMs` bounds every lock wait
   * in the transaction (then store_busy).
   */
  begin(opts: { lockKey?: number; lockTimeoutMs?: number; isolation?: "repeatable read" }): void;
  /**
   * COMMIT; with `last`, those statements are sent right before the COMMIT
   * (pipelined: no round trip of their own) and their rows, in order, are
   * returned.
   */
  commit(last?: ReadonlyArray<{ sql: string; params: SqlValue[] }>): SqlRow[] | null;
  rollback(): void;
  /** Whether a transaction is open. */
  readonly inTx: boolean;
  /** Deliver NOTIFYs on `channel` (asynchronously, on the event loop); survives reconnects. */
  listen(channel: string, onNotify: (payload: string) => void): void;
  close(): void;
  /** The server, with any credentials removed: safe for messages and logs. */
  readonly label: string;
}

export type PgBridgeFactory = (
  opts: { url: string; schema: string; timeoutMs?: number },
) => PgBridge;
