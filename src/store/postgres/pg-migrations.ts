/**
 * The PostgreSQL schema as numbered migrations, version for version the
 * same tables as store/migrations.ts (SQLite), so one schema version means
 * one shape on both and `warrant store copy` moves rows column for column.
 * Types: INTEGER → bigint (millisecond times), BLOB → bytea, REAL → double
 * precision; text keys use the "C" collation so `ORDER BY id` and `id > ?`
 * page in the same byte order as SQLite.
 *
 * Several processes may start together on a new database: the migrations
 * run in one transaction under their own advisory lock, so exactly one of
 * them migrates and the others see the finished schema. A database written
 * by a newer warrant refuses to open.
 */
import type { SqlDriver } from "../../app/ports/sql.ts";
import type { PgBridge } from "../../app/ports/sql.ts";
import { WarrantError } from "../../core/errors.ts";
import type { Migration } from "../migrations.ts";
import { SCHEMA_VERSION } from "../migrations.ts";
import { lockKey } from "./pg-driver.ts";

const ACTION_STATES_SQL =
  "'proposed','denied','allowed','held','approved','rejected','expired','executing','completed','failed','unknown'";

const K = 'text COLLATE "C"';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE meta (key ${K} PRIMARY KEY, value text NOT NULL);
CREATE TABLE sessions (
  id ${K} PRIMARY KEY, project text NOT NULL, pid bigint NOT NULL,
  started_at bigint NOT NULL, heartbeat_at bigint NOT NULL, ended_at bigint
);
CREATE TABLE session_tools (
  session_id ${K} NOT NULL REFERENCES sessions(id), name ${K} NOT NULL, at bigint NOT NULL,
  PRIMARY KEY (session_id, name)
);
CREATE TABLE actions (
  id ${K} PRIMARY KEY,
  session_id ${K} NOT NULL,
  project text NOT NULL,
  tool ${K} NOT NULL,
  args bytea NOT NULL,
  args_digest ${K} NOT NULL,
  origin text NOT NULL CHECK (origin IN ('hook','declared')),
  correlation_id text,
  idempotency_key ${K},
  state text NOT NULL CHECK (state IN (${ACTION_STATES_SQL})),
  effect text CHECK (effect IN ('allow','hold','deny')),
  kind text,
  reason text,
  rules text NOT NULL DEFAULT '[]',
  policy_id text,
  policy_version bigint,
  request_id ${K},
  deadline bigint,
  output bytea,
  executor_session ${K},
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX actions_state ON actions(state);
CREATE INDEX actions_request ON actions(request_id) WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX actions_idempotency_key ON actions(idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE TABLE approval_requests (
  id ${K} PRIMARY KEY,
  action_id ${K} NOT NULL REFERENCES actions(id),
  requirements text NOT NULL,
  rules text NOT NULL,
  policy_id text NOT NULL,
  policy_version bigint NOT NULL,
  action_digest text NOT NULL,
  deadline bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('pending','approved','rejected','expired')),
  created_at bigint NOT NULL,
  resolved_at bigint
);
CREATE INDEX approval_requests_state ON approval_requests(state, id);
CREATE TABLE resolutions (
  id bigserial PRIMARY KEY,
  request_id ${K} NOT NULL REFERENCES approval_requests(id),
  approver text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('approve','deny')),
  nonce ${K} NOT NULL UNIQUE,
  document text NOT NULL,
  document_sha256 text NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX resolutions_request ON resolutions(request_id);
CREATE TABLE counters (
  key ${K} NOT NULL, at bigint NOT NULL, amount double precision NOT NULL, action_id ${K} NOT NULL
);
CREATE INDEX counters_key_at ON counters(key, at, amount);
CREATE TABLE policy_versions (
  policy_id ${K} PRIMARY KEY, version bigint NOT NULL, sha256 text NOT NULL,
  accepted_at bigint NOT NULL
);
CREATE TABLE events (
  seq bigint PRIMARY KEY,
  at bigint NOT NULL,
  type text NOT NULL,
  action_id ${K},
  payload text NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);
CREATE INDEX events_action ON events(action_id) WHERE action_id IS NOT NULL;
CREATE INDEX events_at ON events(at);
-- Append-only by construction; whoever owns the tables can drop these,
-- which is what the hash chain is for.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TABLE run_requests (
  id ${K} PRIMARY KEY,
  action_id ${K} NOT NULL REFERENCES actions(id),
  session_id ${K} NOT NULL,
  created_at bigint NOT NULL,
  claimed_at bigint
);
CREATE INDEX run_requests_pending ON run_requests(session_id, created_at)
  WHERE claimed_at IS NULL;
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE policy_documents (
  sha256 ${K} PRIMARY KEY, policy_id ${K} NOT NULL, version bigint NOT NULL,
  bytes bytea NOT NULL, sig bytea, accepted_at bigint NOT NULL
);
CREATE INDEX policy_documents_id_version ON policy_documents(policy_id, version);
CREATE TABLE project_policy (
  project ${K} PRIMARY KEY, policy_id text NOT NULL, version bigint NOT NULL,
  sha256 text NOT NULL, accepted_at bigint NOT NULL
);
`,
  },
  { version: 3, sql: `ALTER TABLE actions ADD COLUMN detail bytea;` },
  {
    version: 4,
    sql: `
INSERT INTO meta (key, value)
  SELECT 'chain_canonical_from', CAST(COALESCE(MAX(seq), 0) + 1 AS text) FROM events
  ON CONFLICT DO NOTHING;
`,
  },
  {
    version: 5,
    sql: `
ALTER TABLE actions ADD COLUMN via text;
CREATE INDEX actions_repeat ON actions(args_digest, tool) WHERE request_id IS NOT NULL;
`,
  },
  { version: 6, sql: `ALTER TABLE approval_requests ADD COLUMN salt bytea;` },
  {
    // prev_hash read from the row before (new rows store an empty bytea);
    // the executing actions, not every action, indexed by state.
    version: 7,
    sql: `
DROP INDEX actions_state;
CREATE INDEX actions_executing ON actions(id) WHERE state = 'executing';
`,
  },
  // Event payloads packed on SQLite only: PostgreSQL keeps them as text.
  { version: 8, sql: `SELECT 1;` },
  {
    // Events name their action by actions.n (existing actions numbered in
    // creation order). New numbers come from a sequence (dialect.ts), not
    // from MAX(n) + 1: the parts of a merged statement (platform/pg-merge.ts)
    // share one snapshot, so two actions inserted by one statement would
    // read the same MAX. An event written in the same statement as its
    // action does not see it either, and keeps the id as text (rows.ts).
    version: 9,
    sql: `
ALTER TABLE actions ADD COLUMN n bigint;
UPDATE actions SET n = o.n
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM actions) o
  WHERE actions.id = o.id;
CREATE SEQUENCE actions_n_seq OWNED BY actions.n;
SELECT setval('actions_n_seq', (SELECT COALESCE(MAX(n), 0) + 1 FROM actions), false);
CREATE UNIQUE INDEX actions_n ON actions(n);
ALTER TABLE events ADD COLUMN action_n bigint;
CREATE INDEX events_action_n ON events(action_n) WHERE action_n IS NOT NULL;
`,
  },
  // SQLite makes actions.n its rowid; PostgreSQL keeps the column and its sequence.
  { version: 10, sql: `SELECT 1;` },
];

if (PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version !== SCHEMA_VERSION) {
  throw new Error(
    `store/postgres/pg-migrations.ts stops at version ${
      PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version
    }, store/migrations.ts at ${SCHEMA_VERSION}: add the PostgreSQL form of each new migration`,
  );
}

/** The schema version in `schema` (0 when it has no warrant tables). */
function currentVersion(bridge: PgBridge, schema: string): number {
  const t = bridge.query(
    "SELECT 1 AS x FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_migrations'",
    [schema],
  );
  if (t.rows.length === 0) return 0;
  return Number(bridge.query("SELECT MAX(version) AS v FROM schema_migrations").rows[0]?.v ?? 0);
}

function newer(label: string, found: number): WarrantError {
  return new WarrantError(
    "store_open_failed",
    `Cannot open store ${label}: its schema version is ${found}, but this warrant ` +
      `knows versions up to ${SCHEMA_VERSION}; use the newer warrant that wrote it`,
    { found, known: SCHEMA_VERSION },
  );
}

/**
 * Create `schema` and bring it up to date (under the migration lock).
 * Returns the version. Throws store_open_failed for a newer schema.
 */
export function migratePg(
  db: SqlDriver & { bridge: PgBridge },
  schema: string,
  now: number,
  label: string,
): number {
  const bridge = db.bridge;
  const v = currentVersion(bridge, schema);
  if (v === SCHEMA_VERSION) return v;
  if (v > SCHEMA_VERSION) throw newer(label, v);
  bridge.begin({ lockKey: lockKey("migrate", schema), lockTimeoutMs: 120_000 });
  try {
    bridge.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    bridge.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at bigint NOT NULL)",
    );
    const current = Number(
      bridge.query("SELECT MAX(version) AS v FROM schema_migrations").rows[0]?.v ?? 0,
    );
    if (current > SCHEMA_VERSION) throw newer(label, current);
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      bridge.exec(m.sql);
      bridge.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
        m.version,
        now,
      ]);
    }
    bridge.commit();
  } catch (e) {
    try {
      bridge.rollback();
    } catch { /* the connection is gone; the server rolled back */ }
    throw e;
  }
  return SCHEMA_VERSION;
}
