/**
 * The Store (app/ports/store.ts) over any SqlDriver: one SQLite file in WAL mode.
 *
 * Durability: `synchronous = FULL`. A decision returned to the agent must
 * survive kill -9 *and* power loss, because the body runs only after it is
 * committed, and at most once. In WAL mode NORMAL already survives a process
 * crash (committed frames sit in the OS page cache), but not a power loss or
 * kernel panic: the last transactions can vanish after the agent acted on
 * them — an executed payment with no record, or an `executing` intent lost
 * so the action could run again. FULL fsyncs the WAL at every commit.
 * Measured (Bun 1.4.5, ext4 on virtio disk, 3 commits per action: decide,
 * executing, completed; 9000 commits): NORMAL 81–98 µs/commit, FULL
 * 214–216 µs/commit — about +0.13 ms per commit, under 0.5 ms per action,
 * which is noise next to a tool call. Stored size: ~0.9 KB per simple
 * action with its 4 events (schema 10; bench/history.ts measures it).
 *
 * Concurrency: every write transaction is BEGIN IMMEDIATE, so writers from
 * several processes serialise on the file lock (they wait their turn up to
 * the busy timeout — store.busy_timeout_ms, 30 s by default — then
 * store_busy); readers never block in WAL.
 */
import type {
  AuditVerifyResult,
  DataCodec,
  RotateProgress,
  Store,
  StoreTx,
} from "../app/ports/store.ts";
import type { Clock } from "../app/ports/system.ts";
import type { EventRecord } from "../core/records.ts";
import type { SqlDriver, SqlDriverFactory } from "../app/ports/sql.ts";
import { ChainVerifier } from "../core/audit-chain.ts";
import { isWarrantError, WarrantError } from "../core/errors.ts";
import { readHeadOrNull } from "./audit-head.ts";
import { checkDataKey, loadDigestKey, resealDigestKey, writeKeyCheck } from "./key-check.ts";
import { keyedDigest } from "../core/digest.ts";
import { reencryptAll, verifyAll } from "./key-rotation.ts";
import { migrate, SCHEMA_VERSION } from "./migrations.ts";
import { crossCheckRows } from "./row-audit.ts";
import { createPayloadCodec, type PayloadCodec } from "./payload-codec.ts";
import { SqlReads } from "./reads.ts";
import { EVENT_COLUMNS, eventsFromRows, prevHashStored } from "./rows.ts";
import { storedPayloadText } from "./event-payload.ts";
import { SqlTx } from "./writes.ts";

export interface OpenStoreOptions {
  /** The database file (its folder must exist). */
  path: string;
  /** bunSqlite (platform/bun.ts) or nodeSqlite (platform/node-sqlite.ts). */
  driver: SqlDriverFactory;
  /** How args/outputs are stored; plaintext when omitted. */
  codec?: PayloadCodec;
  /** Used for migration timestamps. */
  clock?: Clock;
  /** ms to wait for another writer's lock before store_busy (default 5000). */
  busyTimeoutMs?: number;
  /**
   * "full" (default): every commit is fsynced — survives kill -9 and power
   * loss. "normal": survives kill -9 (a process crash) but the last commits
   * may be lost on power loss or a kernel crash; about 2× faster commits.
   */
  synchronous?: "full" | "normal";
  /**
   * Never write: no migration, no key-check value, `tx` refused. Works on a
   * read-only copy (falls back to an immutable open when the WAL index
   * cannot be created beside the file).
   */
  readOnly?: boolean;
  /** The variable holding the data key, named in a data_key_mismatch message. */
  keyEnvName?: string;
}

const isBusy = (e: unknown): boolean =>
  e instanceof Error &&
  (/SQLITE_BUSY|database is locked/i.test(e.message) ||
    (e as { code?: unknown }).code === "SQLITE_BUSY");

/** The store cannot write at all: full disk, I/O error, read-only file system. */
const isUnavailable = (e: unknown): boolean =>
  e instanceof Error &&
  /SQLITE_(FULL|IOERR|READONLY|CANTOPEN)|disk is full|disk I\/O error|readonly database|unable to open database/i
    .test(`${(e as { code?: unknown }).code ?? ""} ${e.message}`);

/** A write failure as a coded error: store_busy, store_unavailable, or as is. */
function writeError(path: string, e: unknown): unknown {
  if (isBusy(e)) return busyError(path, e);
  if (isUnavailable(e)) {
    return new WarrantError(
      "store_unavailable",
      `store ${path} cannot write: ${
        (e as Error).message
      }; free disk space or fix the file system, ` +
        `then warrant records what it answered meanwhile (store.recovered)`,
    );
  }
  return e;
}

function busyError(path: string, e: unknown): WarrantError {
  return new WarrantError(
    "store_busy",
    `store ${path} is locked by another writer for longer than the busy timeout: ${
      (e as Error).message
    }`,
  );
}

const VERIFY_PAGE = 1000;

/**
 * A failure that cannot be pinned on one member of a group commit: a write
 * pipelined without waiting (PostgreSQL, store/postgres/pg-driver.ts) whose
 * error surfaced at a later statement, perhaps another member's. The whole
 * group then fails; no member is committed.
 */
function failsGroup(e: unknown): boolean {
  if (e instanceof WarrantError) return e.details?.pipelined === true;
  return typeof e === "object" && e !== null &&
    (e as { deferredSql?: unknown }).deferredSql !== undefined;
}

/** The Store over any SqlDriver (SQLite, or PostgreSQL through store/postgres/pg-driver.ts). */
export class SqliteStore extends SqlReads implements Store {
  private inTx = false;
  private closed = false;
  private readonly listeners: Array<(events: EventRecord[]) => void> = [];

  constructor(
    db: SqlDriver,
    codec: PayloadCodec,
    readonly path: string,
    private readonly readOnly = false,
  ) {
    super(db, codec);
  }

  tx<T>(fn: (tx: StoreTx) => T): T {
    if (this.closed) throw new WarrantError("internal_error", `store ${this.path} is closed`);
    if (this.readOnly) {
      throw new WarrantError("internal_error", `store ${this.path} was opened read-only`);
    }
    if (this.inTx) {
      throw new WarrantError("internal_error", "nested Store.tx: use the StoreTx you were given");
    }
    this.inTx = true;
    let t: SqlTx | undefined;
    let result: T;
    try {
      try {
        this.db.exec("BEGIN IMMEDIATE");
      } catch (e) {
        throw writeError(this.path, e);
      }
      try {
        t = new SqlTx(this.db, this.codec);
        result = fn(t);
        if (result && typeof (result as { then?: unknown }).then === "function") {
          throw new WarrantError(
            "internal_error",
            "Store.tx callback returned a promise; transactions must be synchronous",
          );
        }
        t.commit();
      } catch (e) {
        try {
          this.db.exec("ROLLBACK");
        } catch { /* already rolled back by SQLite */ }
        throw writeError(this.path, e);
      } finally {
        t?.close();
      }
    } finally {
      this.inTx = false;
    }
    const events = t!.appended;
    if (events.length > 0) {
      for (const l of this.listeners) {
        try {
          l(events.slice());
        } catch { /* the record is durable; a listener failure must not surface */ }
      }
    }
    return result;
  }

  /**
   * One read transaction around `fn`'s reads: they see one snapshot (a
   * request and its resolutions as of the same commit), and SQLite takes
   * its shared locks once (4 fcntl calls fewer for a request's view of 3
   * statements). Inside a write transaction `fn` runs as is, and so on
   * PostgreSQL (which extends this class): a BEGIN there is a round trip.
   */
  snapshot<T>(fn: () => T): T {
    if (this.inTx || this.db.name === "postgres") return fn();
    this.db.exec("BEGIN");
    this.inTx = true; // a write attempted inside is refused (nested Store.tx)
    try {
      return fn();
    } finally {
      this.inTx = false;
      this.db.exec("COMMIT");
    }
  }

  private queue: Array<
    { fn: (tx: StoreTx) => unknown; ok: (v: unknown) => void; fail: (e: unknown) => void }
  > = [];

  /** Units of work in progress (Store.work). */
  private working = 0;

  work(): () => void {
    this.working++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.working--;
    };
  }

  /**
   * Group commit: `fn` runs in a transaction shared with every other
   * txAsync call queued before the group is flushed, so N concurrent
   * decisions cost one fsync instead of N. The group waits one event-loop
   * turn (setImmediate) to gather the callers on their way, unless exactly
   * one unit of work is in progress (Store.work: a sequential caller's
   * govern), which has no company to wait for: then it is
   * flushed as soon as the code that queued it yields (a microtask), which
   * still gathers every call queued until then. The turn had cost a
   * sequential govern two loop turns: through the TS client, store on
   * tmpfs, p50 535 → 445 µs (medians of 5 alternations); at 2 and 8
   * callers calls/s and CPU per govern were unchanged (6 alternations).
   * Each fn is isolated: one that throws rolls back only its own writes (and
   * events) and rejects only its own promise. On SQLite the group first
   * runs without savepoints (see flushOptimistic), so a member may run
   * twice when another one throws; PostgreSQL uses a savepoint per member.
   * Nothing resolves before the COMMIT is durable; if the COMMIT fails,
   * every caller's promise rejects.
   */
  txAsync<T>(fn: (tx: StoreTx) => T): Promise<T> {
    return new Promise<T>((ok, fail) => {
      this.queue.push({ fn, ok: ok as (v: unknown) => void, fail });
      if (this.queue.length > 1) return;
      if (this.working === 1) queueMicrotask(() => this.flushGroup());
      else setImmediate(() => this.flushGroup());
    });
  }

  private flushGroup(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (batch.length > 1 && this.db.name !== "postgres" && this.flushOptimistic(batch)) return;
    const results: Array<{ ok: boolean; v: unknown }> = [];
    try {
      this.tx((t) => {
        const tx = t as SqlTx;
        if (batch.length === 1) {
          // Alone in its group: its own transaction isolates it (a throw rolls
          // the whole transaction back and rejects it), no savepoint needed.
          results.push({ ok: true, v: batch[0]!.fn(tx) });
          return;
        }
        for (const item of batch) {
          const m = tx.mark();
          this.db.exec("SAVEPOINT grp");
          try {
            const v = item.fn(tx);
            this.db.exec("RELEASE grp");
            results.push({ ok: true, v });
          } catch (e) {
            if (failsGroup(e)) throw e;
            this.db.exec("ROLLBACK TO grp");
            this.db.exec("RELEASE grp");
            tx.rewind(m);
            results.push({ ok: false, v: e });
          }
        }
      });
    } catch (e) {
      for (const item of batch) item.fail(e);
      return;
    }
    batch.forEach((
      item,
      i,
    ) => (results[i]!.ok ? item.ok(results[i]!.v) : item.fail(results[i]!.v)));
  }

  /**
   * A group on SQLite, first without a savepoint per member (two statements
   * each saved): every member runs in the one transaction. When one throws,
   * that transaction is rolled back whole — nothing of it was committed or
   * answered — and this returns false: the group then runs again with
   * savepoints (each member from the start, on the same rows), so only the
   * failing member fails. True when the group committed, or its COMMIT
   * failed (every member rejected, as in the savepoint path).
   */
  private flushOptimistic(
    batch: Array<
      { fn: (tx: StoreTx) => unknown; ok: (v: unknown) => void; fail: (e: unknown) => void }
    >,
  ): boolean {
    const values: unknown[] = [];
    let memberFailed = false;
    try {
      this.tx((tx) => {
        for (const item of batch) {
          try {
            values.push(item.fn(tx));
          } catch (e) {
            memberFailed = true;
            throw e;
          }
        }
      });
    } catch (e) {
      if (memberFailed) return false;
      for (const item of batch) item.fail(e);
      return true;
    }
    batch.forEach((item, i) => item.ok(values[i]));
    return true;
  }

  reconcile(now: number, staleMs: number, isAlive: (pid: number) => boolean): string[] {
    return this.tx((t) => {
      const tx = t as SqlTx;
      for (
        const s of this.db.all("SELECT id, pid, heartbeat_at FROM sessions WHERE ended_at IS NULL")
      ) {
        const stale = Number(s.heartbeat_at) < now - staleMs;
        if (stale || !isAlive(Number(s.pid))) {
          tx.endSessionWith(String(s.id), now, stale ? "heartbeat_stale" : "process_gone");
        }
      }
      // Only actions whose executor session is known and ended: an action
      // without a session row may be running in a process we cannot see.
      const rows = this.db.all(
        "SELECT a.id AS id, s.id AS sid FROM actions a JOIN sessions s " +
          "ON s.id = COALESCE(a.executor_session, a.session_id) " +
          "WHERE a.state = 'executing' AND s.ended_at IS NOT NULL ORDER BY a.id",
      );
      const ids: string[] = [];
      for (const r of rows) {
        const id = String(r.id);
        tx.transition(id, ["executing"], "unknown", {
          kind: "outcome_unknown",
          reason: `session ${String(r.sid)} ended while the action was executing; ` +
            `its outcome is unknown and it is not re-run`,
        }, now);
        ids.push(id);
      }
      return ids;
    });
  }

  verifyAudit(onProgress?: (checked: number, total: number) => void): AuditVerifyResult {
    const own = !this.inTx;
    if (own) this.db.exec("BEGIN"); // one read snapshot for every page
    try {
      const total = onProgress
        ? Number(this.db.get("SELECT COALESCE(MAX(seq), 0) AS n FROM events")!.n)
        : 0;
      const from = this.db.get("SELECT value FROM meta WHERE key = 'chain_canonical_from'");
      const v = new ChainVerifier(undefined, from ? Number(from.value) : 1);
      let after = 0;
      for (;;) {
        const page = this.db.all(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
          [
            after,
            VERIFY_PAGE,
          ],
        );
        let records: EventRecord[] | null = null;
        try {
          records = eventsFromRows(this.db, page);
        } catch { /* a row that does not decode: checked one by one below */ }
        for (let i = 0; i < page.length; i++) {
          const row = page[i]!;
          let bad;
          try {
            const e = records?.[i] ?? eventsFromRows(this.db, [row])[0]!;
            bad = v.check({
              ...e,
              payload_text: storedPayloadText(row.payload, `events.payload of seq ${e.seq}`),
              prev_hash_derived: !prevHashStored(row.prev_hash),
            });
          } catch (e) {
            bad = { seq: Number(row.seq), problem: (e as Error).message };
          }
          if (bad) return { ok: false, checked: v.checked, first_bad: bad };
        }
        if (page.length < VERIFY_PAGE) break;
        after = Number(page[page.length - 1]!.seq);
        onProgress?.(v.checked, total);
      }
      const last = v.head;
      const head = readHeadOrNull(this.db);
      const problem = headProblem(last, head);
      if (problem) return { ok: false, checked: v.checked, first_bad: problem };
      const rows = crossCheckRows(this.db, this.codec);
      return rows.problems.length > 0
        ? { ok: false, checked: v.checked, row_problems: rows.problems }
        : { ok: true, checked: v.checked };
    } finally {
      if (own) this.db.exec("COMMIT");
    }
  }

  rotateKey(next: DataCodec, at: number, onProgress?: RotateProgress): { actions: number } {
    const rewritten = this.tx((t) => {
      const n = reencryptAll(
        this.db,
        this.codec,
        next,
        onProgress && ((done, total) => onProgress("re-encrypt", done, total)),
      );
      resealDigestKey(this.db, this.codec, next);
      writeKeyCheck(this.db, next);
      t.appendEvent({
        type: "store.key_rotated",
        at,
        payload: { actions: n, encrypted: next.encrypted },
      });
      verifyAll(this.db, next, onProgress && ((done, total) => onProgress("verify", done, total)));
      return n;
    });
    return { actions: rewritten };
  }

  onCommit(listener: (events: EventRecord[]) => void): void {
    this.listeners.push(listener);
  }

  /** The driver underneath, for store/store-copy.ts (not part of the Store port). */
  get sqlDriver(): SqlDriver {
    return this.db;
  }

  close(): void {
    if (this.closed) return;
    this.flushGroup(); // queued group commits land (or reject) before the file closes
    this.closed = true;
    this.db.close();
  }
}

function headProblem(
  last: { seq: number; hash: string },
  head: { seq: number; hash: string } | null,
): { seq: number; problem: string } | null {
  if (head === null) {
    return last.seq === 0
      ? null
      : { seq: last.seq, problem: "the recorded audit head (meta.audit_head) is missing" };
  }
  if (head.seq > last.seq) {
    return {
      seq: last.seq + 1,
      problem:
        `truncated: the log ends at seq ${last.seq}, but seq ${head.seq} was recorded (rows deleted)`,
    };
  }
  if (head.seq < last.seq) {
    return {
      seq: head.seq + 1,
      problem: `row beyond the recorded head seq ${head.seq} (row inserted)`,
    };
  }
  if (head.hash !== last.hash) {
    return { seq: last.seq, problem: `hash differs from the recorded head ${head.hash}` };
  }
  return null;
}

/**
 * Open (creating and migrating) the store at `path`. Sets the pragmas
 * (WAL, synchronous=FULL, busy_timeout, foreign_keys). Throws
 * store_open_failed when the file cannot be opened, is not a database, or
 * was written by a newer schema.
 *
 * @example
 * const store = openStore({ path: ".warrant/warrant.db", driver: bunSqlite });
 * store.tx((tx) => tx.openSession({ id: "ses_1", project: "acme", pid: process.pid, at: Date.now() }));
 */
export function openStore(opts: OpenStoreOptions): Store {
  const busyMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000));
  const deadline = Date.now() + busyMs;
  // Several processes may open a new store at the same moment (two gates
  // spawned together): switching a fresh file to WAL can answer "locked"
  // without waiting on the busy handler, so the whole open is retried.
  for (let attempt = 0;; attempt++) {
    try {
      return openOnce(opts, busyMs);
    } catch (e) {
      const locked = e instanceof WarrantError && e.details?.locked === true;
      if (!locked || Date.now() >= deadline) throw e;
      sleepSync(Math.min(10 * 2 ** attempt, 200));
    }
  }
}

/** "st_" + 32 hex digits of randomness. */
function newStoreId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return `st_${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

/** Block the thread for `ms` (start-up only; never on the decision path). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A plain read-only open, tried again for up to a second: while the last
 * writer closes (checkpointing and deleting its WAL) an open can fail for a
 * moment, and the immutable fallback would then read the main file without
 * the WAL — a snapshot missing the newest commits.
 */
function openReadOnlyRetrying(opts: OpenStoreOptions, busyMs: number): SqlDriver {
  for (let attempt = 0;; attempt++) {
    let db: SqlDriver | undefined;
    try {
      db = opts.driver(opts.path, { readOnly: true });
      db.exec(`PRAGMA busy_timeout = ${busyMs}`);
      db.get("SELECT COUNT(*) AS n FROM sqlite_master");
      return db;
    } catch (e) {
      db?.close();
      if (isBusy(e) || attempt >= 6) throw e;
      sleepSync(Math.min(10 * 2 ** attempt, 300));
    }
  }
}

/** Open without writing anything: a reader for the read-only verbs. */
function openReadOnly(opts: OpenStoreOptions, busyMs: number): Store {
  const { path } = opts;
  const codec = opts.codec ?? createPayloadCodec();
  let db: SqlDriver | undefined;
  let digestKey: Uint8Array | null = null;
  try {
    try {
      db = openReadOnlyRetrying(opts, busyMs);
    } catch (e) {
      // A WAL store on read-only media: no -shm can be created beside it.
      if (isBusy(e)) throw e;
      db?.close();
      db = opts.driver(path, { readOnly: true, immutable: true });
      db.get("SELECT COUNT(*) AS n FROM sqlite_master");
    }
    const v = db.get(
      "SELECT MAX(version) AS v FROM schema_migrations",
    );
    const found = Number(v?.v ?? 0);
    if (found > SCHEMA_VERSION) {
      throw new WarrantError(
        "store_open_failed",
        `Cannot open store ${path}: its schema version is ${found}, but this warrant ` +
          `knows versions up to ${SCHEMA_VERSION}; use the newer warrant that wrote it`,
      );
    }
    checkDataKey(db, codec, path, {
      readOnly: true,
      ...(opts.keyEnvName ? { envName: opts.keyEnvName } : {}),
    });
    digestKey = loadDigestKey(db, codec, { readOnly: true, random: randomBytes });
  } catch (e) {
    try {
      db?.close();
    } catch { /* best effort */ }
    if (isWarrantError(e, "store_open_failed") || isWarrantError(e, "data_key_mismatch")) throw e;
    throw new WarrantError(
      "store_open_failed",
      `Cannot open store ${path} for reading: ${(e as Error).message ?? String(e)}; ` +
        `check that the file exists and is a warrant store`,
      { locked: isBusy(e) },
    );
  }
  return new SqliteStore(db, withDigestKey(codec, digestKey), path, true);
}

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** The codec the store uses: digests keyed with the store's digest key when there is one. */
function withDigestKey(codec: PayloadCodec, key: Uint8Array | null): PayloadCodec {
  return key ? { ...codec, digest: (v: unknown) => keyedDigest(key, v) } : codec;
}

function openOnce(opts: OpenStoreOptions, busyMs: number): Store {
  if (opts.readOnly) return openReadOnly(opts, busyMs);
  const { path } = opts;
  const now = opts.clock?.now() ?? Date.now();
  const codec = opts.codec ?? createPayloadCodec();
  let db: SqlDriver | undefined;
  let digestKey: Uint8Array | null = null;
  try {
    db = opts.driver(path);
    db.exec(`PRAGMA busy_timeout = ${busyMs}`);
    const mode = db.get("PRAGMA journal_mode = WAL");
    const got = String(mode ? Object.values(mode)[0] : "");
    if (got.toLowerCase() !== "wal") {
      throw new Error(`journal_mode is ${got}, expected wal (is the file on a network share?)`);
    }
    db.exec(`PRAGMA synchronous = ${opts.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db, now, path);
    // A random identity, made once when the store is created: checkpoints
    // name it, so a witness can tell this store from another one.
    if (!db.get("SELECT 1 AS x FROM meta WHERE key = 'store_id'")) {
      db.run("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)", [newStoreId()]);
    }
    checkDataKey(db, codec, path, opts.keyEnvName ? { envName: opts.keyEnvName } : {});
    digestKey = loadDigestKey(db, codec, { random: randomBytes });
  } catch (e) {
    try {
      db?.close();
    } catch { /* best effort */ }
    if (isWarrantError(e, "store_open_failed") || isWarrantError(e, "data_key_mismatch")) throw e;
    const msg = (e as Error).message ?? String(e);
    throw new WarrantError(
      "store_open_failed",
      `Cannot open store ${path}: ${msg}; check that its folder exists and is writable, ` +
        `and that the file is a warrant store`,
      { locked: isBusy(e) },
    );
  }
  return new SqliteStore(db, withDigestKey(codec, digestKey), path);
}
