/**
 * `warrant store copy`: move a store between SQLite and PostgreSQL (either
 * way) with its chain intact. Rows are copied byte for byte — events with
 * their stored payloads and hashes (a packed SQLite payload goes to
 * PostgreSQL as the canonical text its hash covers: event-payload.ts), payloads as the ciphertext they are
 * (their associated data is the row identity, which does not change), `meta`
 * with the store's id, chain head and key-check values — so the copy is the
 * same store: `audit verify` passes on it with the same head, a witness's
 * checkpoints still apply, and the same data key opens it.
 *
 * The target must be empty (freshly migrated); everything is written in one
 * transaction on it, then verified before the command reports success.
 */
import type { SqlDriver, SqlValue } from "../app/ports/sql.ts";
import type { Store } from "../app/ports/store.ts";
import { WarrantError } from "../core/errors.ts";
import { SCHEMA_VERSION } from "./migrations.ts";
import { SqliteStore } from "./sqlite-store.ts";
import { storedPayloadText } from "./event-payload.ts";

/**
 * Tables in foreign-key order, each with a unique key its pages follow
 * (keyset paging: `WHERE key > last ORDER BY key LIMIT n`). OFFSET paging
 * would page by position in an order that is not guaranteed to repeat
 * between queries when keys tie — PostgreSQL's top-N sort is not stable —
 * so rows could be skipped or copied twice. `counters` has no unique key
 * (one action may add the same key twice at the same instant), so its rows
 * are read grouped by every column, with the number of copies of each.
 */
const TABLES: Array<[string, string[]]> = [
  ["meta", ["key"]],
  ["sessions", ["id"]],
  ["session_tools", ["session_id", "name"]],
  ["actions", ["id"]],
  ["approval_requests", ["id"]],
  ["resolutions", ["id"]],
  ["counters", ["key", "at", "amount", "action_id"]],
  ["policy_versions", ["policy_id"]],
  ["policy_documents", ["sha256"]],
  ["project_policy", ["project"]],
  ["events", ["seq"]],
  ["run_requests", ["id"]],
];

/** Whole rows are the key: read them grouped, with how many copies each has. */
const GROUPED = new Set(["counters"]);

/** One page of `table` after the key values `after` (from the start when null). */
function readPage(
  src: SqlDriver,
  table: string,
  keys: string[],
  after: SqlValue[] | null,
): Array<Record<string, SqlValue>> {
  const list = keys.join(", ");
  const where = after ? ` WHERE (${list}) > (${keys.map(() => "?").join(", ")})` : "";
  const select = GROUPED.has(table)
    ? `SELECT ${list}, COUNT(*) AS copies FROM ${table}${where} GROUP BY ${list}`
    : `SELECT * FROM ${table}${where}`;
  return src.all(`${select} ORDER BY ${list} LIMIT ?`, [...(after ?? []), PAGE]) as Array<
    Record<string, SqlValue>
  >;
}

const PAGE = 500;

export interface CopyResult {
  rows: Record<string, number>;
  events: number;
  head: { seq: number; hash: string };
}

function driverOf(s: Store): SqlDriver {
  if (!(s instanceof SqliteStore)) {
    throw new WarrantError(
      "internal_error",
      "store copy needs stores opened by warrant's adapters",
    );
  }
  return s.sqlDriver;
}

function version(db: SqlDriver): number {
  return Number(db.get("SELECT MAX(version) AS v FROM schema_migrations")?.v ?? 0);
}

/**
 * Copy every row of `from` into the empty store `to`, in one transaction on
 * `to`; `onProgress(rowsDone, rowsTotal)` after each page. Throws
 * invalid_argument when `to` already holds a history, store_open_failed
 * when the schemas differ, and whatever the target's commit throws.
 */
export function copyStore(
  from: Store,
  to: Store,
  onProgress?: (done: number, total: number) => void,
): CopyResult {
  const src = driverOf(from);
  const dst = driverOf(to);
  for (const [db, s] of [[src, from], [dst, to]] as const) {
    const v = version(db);
    if (v !== SCHEMA_VERSION) {
      throw new WarrantError(
        "store_open_failed",
        `store ${s.path} is at schema version ${v}, this warrant writes ${SCHEMA_VERSION}; ` +
          `open it once with this warrant (e.g. warrant pending) so it migrates, then copy`,
      );
    }
  }
  const total = TABLES.reduce(
    (n, [t]) => n + Number(src.get(`SELECT COUNT(*) AS n FROM ${t}`)?.n ?? 0),
    0,
  );
  const rows: Record<string, number> = {};
  const toPg = dst.name === "postgres";
  let done = 0;
  dst.exec("BEGIN IMMEDIATE");
  try {
    const existing = Number(dst.get("SELECT COUNT(*) AS n FROM events")?.n ?? 0) +
      Number(dst.get("SELECT COUNT(*) AS n FROM actions")?.n ?? 0);
    if (existing > 0) {
      throw new WarrantError(
        "invalid_argument",
        `the target store ${to.path} already holds ${existing} event(s) and action(s); ` +
          `copy into an empty store (a new file, or a new PostgreSQL schema)`,
      );
    }
    for (const [table, keys] of TABLES) {
      let n = 0;
      let after: SqlValue[] | null = null;
      for (;;) {
        const page = readPage(src, table, keys, after);
        for (const r of page) {
          const copies = GROUPED.has(table) ? Number(r.copies) : 1;
          const cols = Object.keys(r).filter((c) => !(GROUPED.has(table) && c === "copies"));
          const sql = `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${
            cols.map(() => "?").join(", ")
          })` + (table === "meta" ? " ON CONFLICT (key) DO UPDATE SET value = excluded.value" : "");
          if (table === "events" && toPg && r.payload instanceof Uint8Array) {
            // PostgreSQL keeps payloads as text: the exact text the hash covers.
            r.payload = storedPayloadText(r.payload, `events.payload of seq ${String(r.seq)}`);
          }
          for (let i = 0; i < copies; i++) dst.run(sql, cols.map((c) => r[c] as SqlValue));
          n += copies;
          done += copies;
        }
        onProgress?.(done, total);
        if (page.length < PAGE) break;
        const last = page[page.length - 1]!;
        after = keys.map((k) => last[k]!);
      }
      rows[table] = n;
    }
    if (dst.name === "postgres") {
      // Explicit ids were inserted: move the id sequence past them.
      dst.get(
        "SELECT setval(pg_get_serial_sequence('resolutions', 'id'), " +
          "(SELECT COALESCE(MAX(id), 0) + 1 FROM resolutions), false) AS v",
      );
      dst.get(
        // (Not written as action-writes.ts NEXT_ACTION_N: the dialect turns that into nextval.)
        "SELECT setval('actions_n_seq', COALESCE((SELECT MAX(n) FROM actions), 0) + 1, false) AS v",
      );
    }
    dst.exec("COMMIT");
  } catch (e) {
    try {
      dst.exec("ROLLBACK");
    } catch { /* already rolled back */ }
    throw e;
  }
  const last = to.events({ afterSeq: Math.max(0, to.lastEventSeq() - 1), limit: 1 })[0];
  return {
    rows,
    events: rows.events ?? 0,
    head: last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: "" },
  };
}
