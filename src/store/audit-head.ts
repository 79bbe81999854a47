/**
 * The recorded head of the audit chain (last seq and hash), kept in `meta`
 * and updated in the same transaction as the events. New events link to
 * this head rather than to whatever the last row is, so a truncated tail is
 * still a detectable gap, and verifyAudit can tell "log ends early" from
 * "log ends where it should".
 */
import type { SqlDriver } from "../app/ports/sql.ts";
import { GENESIS_HASH } from "../core/audit-chain.ts";
import { WarrantError } from "../core/errors.ts";

export interface AuditHead {
  seq: number;
  hash: string;
}

const KEY = "audit_head";

/** The head's read: the PostgreSQL driver sends it with a transaction's first statement. */
export const HEAD_READ = { sql: "SELECT value FROM meta WHERE key = ?", params: [KEY] } as const;

/** The recorded head; seq 0 with the genesis hash for an empty log. */
export function readHead(db: SqlDriver): AuditHead {
  const r = db.get(HEAD_READ.sql, [KEY]);
  if (!r) return { seq: 0, hash: GENESIS_HASH };
  const m = /^(\d+) ([0-9a-f]{64})$/.exec(String(r.value));
  if (!m) {
    throw new WarrantError("store_corrupt", `meta.audit_head is malformed: ${String(r.value)}`);
  }
  return { seq: Number(m[1]), hash: m[2]! };
}

/** Record the head (inside the transaction that appended up to it). */
export function writeHead(db: SqlDriver, head: AuditHead): void {
  db.run(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [KEY, `${head.seq} ${head.hash}`],
  );
}

/** The recorded head, or null when none was ever written. */
export function readHeadOrNull(db: SqlDriver): AuditHead | null {
  return db.get("SELECT 1 AS x FROM meta WHERE key = ?", [KEY]) ? readHead(db) : null;
}
