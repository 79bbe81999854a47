/**
 * The file-permission model: what warrant creates for itself (the store
 * folder, the database with its WAL and SHM, the JSONL event file) is
 * private to its owner whatever the umask — folders 0700, files 0600 (a
 * secret key file that group or others can read is refused, as ssh does:
 * cli/key-files.ts).
 * SQLite creates the WAL and SHM with the database file's own mode, so
 * securing the database file before SQLite opens it covers all three.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";

const POSIX = process.platform !== "win32";

/** Create `dir` (and missing parents) when it does not exist; the folder itself becomes 0700. */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (POSIX) chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
}

/**
 * Create `file` 0600 when missing, and make an existing one (with its
 * `-wal` and `-shm` siblings when `sqlite`) 0600: warrant owns these files.
 */
export function ensurePrivateFile(file: string, opts: { sqlite?: boolean } = {}): void {
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  if (!POSIX) return;
  for (const f of opts.sqlite ? [file, `${file}-wal`, `${file}-shm`] : [file]) {
    try {
      if ((statSync(f).mode & 0o777) !== 0o600) chmodSync(f, 0o600);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    }
  }
}
