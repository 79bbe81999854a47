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
   * Queue a read inside the open transaction that is sent with the next
   * answered statement and answered with it: a read the caller will make
   * later costs no round trip of its own. Valid only while nothing the
   * transaction writes can change its answer (the caller's business).
   */
  prefetch(sql: string, params?: SqlValue[]): void;
  /**
   * The rows `prefetch(sql, params)` brought back, once; null when it was
   * not sent yet (it is then dropped: ask with query) or never queued.
   */
  prefetched(sql: string, params?: SqlValue[]): SqlRow[] | null;
  /**
   * Open a transaction on one connection; with `lockKey`, first wait for
   * `pg_advisory_xact_lock(lockKey)` (up to `lockTimeoutMs`, then store_busy).
   */
  begin(opts: { lockKey?: number; lockTimeoutMs?: number; isolation?: "repeatable read" }): void;
  commit(): void;
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
