/**
 * The store schema as numbered migrations. Each applies once, in one
 * transaction with its `schema_migrations` row; a store written by a newer
 * warrant (a version this binary does not know) refuses to open rather than
 * guess. Never edit a shipped migration: add the next number.
 *
 * Size matters (one action + its ~4 events: ~0.9 KB at schema 9; docs/storage.md): TEXT
 * primary keys on small tables are WITHOUT ROWID, optional lookups use
 * partial indexes, args/output are BLOBs written by the payload codec, and
 * event hashes are stored as 32-byte BLOBs (read back as lowercase hex; use
 * `hex(hash)` in the sqlite3 shell); from schema 7 on an event's prev_hash
 * is not stored (an empty BLOB) but read from the row before it; from
 * schema 8 on SQLite stores event payloads packed (store/event-payload.ts),
 * from schema 9 on events name their action by its number (actions.n),
 * which from schema 10 on is the actions table's rowid.
 */
import type { SqlDriver } from "../app/ports/sql.ts";
import { WarrantError } from "../core/errors.ts";

export interface Migration {
  version: number;
  sql: string;
  /**
   * Rebuilds a table others reference: run with foreign key enforcement off
   * (SQLite's way to replace a parent table; the pragma is a no-op inside a
   * transaction, so it is switched around it), and `PRAGMA
   * foreign_key_check` must find nothing before the COMMIT.
   */
  rebuildsTable?: true;
}

const ACTION_STATES_SQL =
  "'proposed','denied','allowed','held','approved','rejected','expired','executing','completed','failed','unknown'";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  project TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  ended_at INTEGER
) WITHOUT ROWID;

CREATE TABLE session_tools (
  session_id TEXT NOT NULL REFERENCES sessions(id),
  name TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (session_id, name)
) WITHOUT ROWID;

CREATE TABLE actions (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  project TEXT NOT NULL,
  tool TEXT NOT NULL,
  args BLOB NOT NULL,
  args_digest TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('hook','declared')),
  correlation_id TEXT,
  idempotency_key TEXT,
  state TEXT NOT NULL CHECK (state IN (${ACTION_STATES_SQL})),
  effect TEXT CHECK (effect IN ('allow','hold','deny')),
  kind TEXT,
  reason TEXT,
  rules TEXT NOT NULL DEFAULT '[]',
  policy_id TEXT,
  policy_version INTEGER,
  request_id TEXT,
  deadline INTEGER,
  output BLOB,
  executor_session TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX actions_state ON actions(state);
CREATE INDEX actions_request ON actions(request_id) WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX actions_idempotency_key ON actions(idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE approval_requests (
  id TEXT PRIMARY KEY,
  action_id TEXT NOT NULL REFERENCES actions(id),
  requirements TEXT NOT NULL,
  rules TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  action_digest TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected','expired')),
  created_at INTEGER NOT NULL,
  resolved_at INTEGER
);
CREATE INDEX approval_requests_state ON approval_requests(state, id);

CREATE TABLE resolutions (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES approval_requests(id),
  approver TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approve','deny')),
  nonce TEXT NOT NULL UNIQUE,
  document TEXT NOT NULL,
  document_sha256 TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX resolutions_request ON resolutions(request_id);

CREATE TABLE counters (
  key TEXT NOT NULL,
  at INTEGER NOT NULL,
  amount REAL NOT NULL,
  action_id TEXT NOT NULL
);
CREATE INDEX counters_key_at ON counters(key, at, amount);

CREATE TABLE policy_versions (
  policy_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  accepted_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  action_id TEXT,
  payload TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE INDEX events_action ON events(action_id) WHERE action_id IS NOT NULL;
-- Append-only by construction; anyone with the file can drop these, which
-- is what the hash chain is for.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE run_requests (
  id TEXT PRIMARY KEY,
  action_id TEXT NOT NULL REFERENCES actions(id),
  session_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  claimed_at INTEGER
);
CREATE INDEX run_requests_pending ON run_requests(session_id, created_at)
  WHERE claimed_at IS NULL;
`,
  },
  {
    // Trust that survives write access to the store (issue 9): the exact
    // bytes (and .sig) of every accepted policy, so approvals can be
    // re-verified against the policy that made the hold; and the highest
    // policy accepted per project, across policy ids.
    version: 2,
    sql: `
CREATE TABLE policy_documents (
  sha256 TEXT PRIMARY KEY,
  policy_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  sig BLOB,
  accepted_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX policy_documents_id_version ON policy_documents(policy_id, version);

CREATE TABLE project_policy (
  project TEXT PRIMARY KEY,
  policy_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  accepted_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    // Tool-supplied failure text (a tool_error message, stderr), stored
    // through the payload codec like args and output: never in `reason` or
    // in an event, where encryption at rest could not reach it.
    version: 3,
    sql: `ALTER TABLE actions ADD COLUMN detail BLOB;`,
  },
  {
    // From here on event payloads are stored as canonical JSON and hashed as
    // stored; rows before keep the JSON.stringify form they were written in.
    version: 4,
    sql: `
INSERT OR IGNORE INTO meta (key, value)
  SELECT 'chain_canonical_from', CAST(COALESCE(MAX(seq), 0) + 1 AS TEXT) FROM events;
`,
  },
  {
    // The face an action came through (null: the stdio hook or the CLI;
    // "mcp stdio: COMMAND…" / "mcp http: URL" for the MCP proxy), and the
    // lookup the MCP proxy uses to attach a repeated call to its held action.
    version: 5,
    sql: `
ALTER TABLE actions ADD COLUMN via TEXT;
CREATE INDEX actions_repeat ON actions(args_digest, tool) WHERE request_id IS NOT NULL;
`,
  },
  {
    // The approval request's random salt, an input of action_digest, stored
    // through the payload codec (encrypted at rest when encryption is on):
    // without it, the digest of small arguments cannot be inverted by guessing.
    version: 6,
    sql: `ALTER TABLE approval_requests ADD COLUMN salt BLOB;`,
  },
  {
    // Storage (issue 12): an event's prev_hash is the hash of the row before
    // it, so from here on it is not stored twice: new rows hold an empty
    // BLOB and readers take it from that row (rows.ts eventsFromRows). The
    // stored hash still covers it, so the chain verifies exactly as before.
    // And actions are looked up by state only to find the `executing` ones
    // (reconcile): a partial index holds those, not every action ever made.
    version: 7,
    sql: `
DROP INDEX actions_state;
CREATE INDEX actions_executing ON actions(id) WHERE state = 'executing';
`,
  },
  {
    // Storage (issue 12): from here on SQLite stores event payloads packed
    // (store/event-payload.ts), the exact canonical text the hash covers in
    // about half the bytes; older rows keep their text. No table changes:
    // the version is what makes an earlier warrant refuse the file rather
    // than read packed payloads it does not know.
    version: 8,
    sql: `SELECT 1;`,
  },
  {
    // Storage (issue 12): events name their action by a stable integer, not
    // by its ~30-character id repeated in every event and its index. Each
    // action gets \`n\` (1, 2, … in insertion order; an explicit column, so
    // VACUUM cannot renumber it as it may renumber rowids), and new events
    // store it in \`action_n\`, with \`action_id\` NULL; readers take the id
    // from the action row (rows.ts EVENT_COLUMNS), and the hash still covers
    // the id, so an event pointed at another action, or an action renamed,
    // fails verification. An event about an id the store holds no action
    // for (a late callback) keeps the id as text, as older rows do.
    version: 9,
    sql: `
ALTER TABLE actions ADD COLUMN n INTEGER;
UPDATE actions SET n = rowid;
CREATE UNIQUE INDEX actions_n ON actions(n);
ALTER TABLE events ADD COLUMN action_n INTEGER;
CREATE INDEX events_action_n ON events(action_n) WHERE action_n IS NOT NULL;
`,
  },
  {
    // CPU per govern (issue 12): actions.n becomes the table's rowid (an
    // INTEGER PRIMARY KEY alias), so inserting an action assigns its number
    // for free (the last number + 1, as MAX(n) + 1 did) and hands it back
    // as lastInsertRowid: no MAX(n) subquery, no RETURNING, no separate
    // unique index to update. VACUUM keeps INTEGER PRIMARY KEY values (it
    // may renumber only implicit rowids), and store copy writes n
    // explicitly, so numbers stay stable. `id` stays unique (the
    // references from approval_requests and run_requests point at it).
    version: 10,
    rebuildsTable: true,
    sql: `
CREATE TABLE actions_v10 (
  id TEXT NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  project TEXT NOT NULL,
  tool TEXT NOT NULL,
  args BLOB NOT NULL,
  args_digest TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('hook','declared')),
  correlation_id TEXT,
  idempotency_key TEXT,
  state TEXT NOT NULL CHECK (state IN (${ACTION_STATES_SQL})),
  effect TEXT CHECK (effect IN ('allow','hold','deny')),
  kind TEXT,
  reason TEXT,
  rules TEXT NOT NULL DEFAULT '[]',
  policy_id TEXT,
  policy_version INTEGER,
  request_id TEXT,
  deadline INTEGER,
  output BLOB,
  executor_session TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  detail BLOB,
  via TEXT,
  n INTEGER PRIMARY KEY
);
INSERT INTO actions_v10 (id, session_id, project, tool, args, args_digest, origin,
  correlation_id, idempotency_key, state, effect, kind, reason, rules, policy_id,
  policy_version, request_id, deadline, output, executor_session, created_at, updated_at,
  detail, via, n)
SELECT id, session_id, project, tool, args, args_digest, origin,
  correlation_id, idempotency_key, state, effect, kind, reason, rules, policy_id,
  policy_version, request_id, deadline, output, executor_session, created_at, updated_at,
  detail, via, n
FROM actions ORDER BY n;
DROP TABLE actions;
ALTER TABLE actions_v10 RENAME TO actions;
CREATE INDEX actions_request ON actions(request_id) WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX actions_idempotency_key ON actions(idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX actions_repeat ON actions(args_digest, tool) WHERE request_id IS NOT NULL;
CREATE INDEX actions_executing ON actions(id) WHERE state = 'executing';
`,
  },
];

/** The schema version recorded in the file (0 for a new one), read without a write lock. */
function currentVersion(db: SqlDriver): number {
  const t = db.get(
    "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
  );
  if (!t) return 0;
  return Number(db.get("SELECT MAX(version) AS v FROM schema_migrations")?.v ?? 0);
}

/** The highest schema version this binary knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Bring the schema up to date inside one IMMEDIATE transaction (so two
 * processes opening a new file do not both migrate). Returns the version.
 * Throws store_open_failed when the file was written by a newer schema.
 *
 * @example migrate(db, Date.now(), ".warrant/warrant.db") // → 1
 */
export function migrate(db: SqlDriver, now: number, path: string): number {
  // Up to date (the common open): no write transaction, so a crowd of CLI
  // processes opening the store does not queue for the write lock.
  const from = currentVersion(db);
  if (from === SCHEMA_VERSION) return SCHEMA_VERSION;
  // A table rebuild needs foreign key enforcement off, which only takes
  // effect outside a transaction (restored after, as it was).
  const fkOff = MIGRATIONS.some((m) => m.version > from && m.rebuildsTable) &&
    Number(Object.values(db.get("PRAGMA foreign_keys") ?? {})[0] ?? 0) === 1;
  if (fkOff) db.exec("PRAGMA foreign_keys = OFF");
  try {
    return migrateLocked(db, now, path);
  } finally {
    if (fkOff) db.exec("PRAGMA foreign_keys = ON");
  }
}

function migrateLocked(db: SqlDriver, now: number, path: string): number {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations " +
        "(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    const row = db.get("SELECT MAX(version) AS v FROM schema_migrations");
    const current = Number(row?.v ?? 0);
    if (current > SCHEMA_VERSION) {
      throw new WarrantError(
        "store_open_failed",
        `Cannot open store ${path}: its schema version is ${current}, but this warrant ` +
          `knows versions up to ${SCHEMA_VERSION}; use the newer warrant that wrote it`,
        { found: current, known: SCHEMA_VERSION },
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      if (m.rebuildsTable) {
        const orphan = db.get("PRAGMA foreign_key_check");
        if (orphan) {
          throw new WarrantError(
            "store_open_failed",
            `Cannot migrate store ${path} to schema ${m.version}: a row of ${
              String(orphan.table)
            } references a missing ${String(orphan.parent)} row (PRAGMA foreign_key_check); ` +
              `restore the store from a backup`,
          );
        }
      }
      db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [m.version, now]);
    }
    db.exec("COMMIT");
    return SCHEMA_VERSION;
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}
