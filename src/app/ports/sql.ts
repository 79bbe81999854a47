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
 * the WAL index, for a copy on read-only media that nobody writes to.
 */
export type SqlDriverFactory = (
  path: string,
  opts?: { readOnly?: boolean; immutable?: boolean },
) => SqlDriver;
