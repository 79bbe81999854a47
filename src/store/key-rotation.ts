/**
 * Re-encrypting a store under a new data key (`warrant store rotate-key`):
 * every payload column of every action is decoded with the old codec and
 * encoded with the new one, page by page, inside the caller's transaction.
 */
import type { DataCodec } from "../app/ports/store.ts";
import type { SqlDriver } from "../app/ports/sql.ts";
import { payloadAad } from "./rows.ts";

const COLUMNS = ["args", "output", "detail"] as const;
const PAGE = 500;

/** Re-seal every approval request's salt under `next`. */
function reencryptSalts(db: SqlDriver, prev: DataCodec, next: DataCodec, verifyOnly = false): void {
  for (const r of db.all("SELECT id, salt FROM approval_requests WHERE salt IS NOT NULL")) {
    const aad = payloadAad("approval_requests", String(r.id), "salt");
    if (verifyOnly) {
      next.decode(r.salt as Uint8Array, aad);
      continue;
    }
    db.run("UPDATE approval_requests SET salt = ? WHERE id = ?", [
      next.encode(prev.decode(r.salt as Uint8Array, aad), aad),
      String(r.id),
    ]);
  }
}

/** Told after each page: actions done so far, of `total`. */
export type PageProgress = (done: number, total: number) => void;

/** Number of actions (the total a progress report counts towards). */
export function countActions(db: SqlDriver): number {
  return Number(db.get("SELECT COUNT(*) AS n FROM actions")?.n ?? 0);
}

/** Rewrite every payload under `next`; returns the number of actions. */
export function reencryptAll(
  db: SqlDriver,
  prev: DataCodec,
  next: DataCodec,
  onPage?: PageProgress,
): number {
  const total = onPage ? countActions(db) : 0;
  reencryptSalts(db, prev, next);
  let n = 0;
  let after = "";
  for (;;) {
    const rows = db.all(
      "SELECT id, args, output, detail FROM actions WHERE id > ? ORDER BY id LIMIT ?",
      [after, PAGE],
    );
    for (const r of rows) {
      const id = String(r.id);
      const sets: string[] = [];
      const params: Array<Uint8Array | string> = [];
      for (const c of COLUMNS) {
        const blob = r[c];
        if (!(blob instanceof Uint8Array)) continue;
        const aad = payloadAad("actions", id, c);
        sets.push(`${c} = ?`);
        params.push(next.encode(prev.decode(blob, aad), aad));
      }
      if (sets.length > 0) {
        db.run(`UPDATE actions SET ${sets.join(", ")} WHERE id = ?`, [...params, id]);
      }
      n++;
    }
    onPage?.(n, total);
    if (rows.length < PAGE) return n;
    after = String(rows[rows.length - 1]!.id);
  }
}

/** Decode every payload with `codec`; throws (payload_decrypt_failed) on the first that fails. */
export function verifyAll(db: SqlDriver, codec: DataCodec, onPage?: PageProgress): void {
  const total = onPage ? countActions(db) : 0;
  reencryptSalts(db, codec, codec, true);
  let done = 0;
  let after = "";
  for (;;) {
    const rows = db.all(
      "SELECT id, args, output, detail FROM actions WHERE id > ? ORDER BY id LIMIT ?",
      [after, PAGE],
    );
    for (const r of rows) {
      for (const c of COLUMNS) {
        const blob = r[c];
        if (blob instanceof Uint8Array) {
          codec.decode(blob, payloadAad("actions", String(r.id), c));
        }
      }
    }
    done += rows.length;
    onPage?.(done, total);
    if (rows.length < PAGE) return;
    after = String(rows[rows.length - 1]!.id);
  }
}
