/**
 * The immutable open both SQLite drivers use for a store on read-only media
 * (where no -shm can be created beside the file). `immutable=1` makes SQLite
 * ignore the write-ahead log, so it is refused when a non-empty `-wal` sits
 * beside the database: its commits would be silently missing from what is
 * read (a stale snapshot that even verifies, as the chain is only shorter).
 */
import { statSync } from "node:fs";
import { WarrantError } from "../core/errors.ts";

/**
 * The `file:` URI opening `path` immutable, after checking that no commit
 * waits in its WAL. Throws store_open_failed naming the WAL and the fix.
 *
 * @example immutableUri("/mnt/ro/.warrant/warrant.db") // → "file:/mnt/ro/.warrant/warrant.db?immutable=1"
 */
export function immutableUri(path: string): string {
  let walBytes = 0;
  try {
    walBytes = statSync(`${path}-wal`).size;
  } catch {
    // no WAL beside it: the main file is the whole store
  }
  if (walBytes > 0) {
    throw new WarrantError(
      "store_open_failed",
      `Cannot read store ${path} on read-only media: ${path}-wal holds ${walBytes} bytes of ` +
        `commits that a read-only open without its index (-shm) would ignore, showing an old ` +
        `state; checkpoint the original store (stop its gates and servers: the last to close ` +
        `folds the WAL in; or sqlite3 FILE "PRAGMA wal_checkpoint(TRUNCATE)") and copy again, or copy ` +
        `${path} with its -wal and -shm to a writable folder and read that copy`,
    );
  }
  return `file:${encodeURI(path).replace(/[?#]/g, encodeURIComponent)}?immutable=1`;
}
