/**
 * The worker thread behind platform/pg-bridge.ts: it owns the `postgres`
 * driver (porsager/postgres: no dependencies, pipelining, LISTEN with
 * automatic re-listen, the same code on Bun and Deno), answers one request
 * at a time on a MessagePort, and wakes the blocked caller through a shared
 * Int32Array. A second connection (the driver's own) LISTENs and forwards
 * notifications on another port, delivered on the caller's event loop.
 *
 * Fail closed, then reconnect with backoff: after a connection failure every
 * request is refused at once with store_unavailable until the backoff delay
 * has passed (100 ms doubling to 5 s); the next request then tries again.
 */
import postgres from "postgres";
import { type MessagePort, workerData } from "node:worker_threads";
import { mergeRuns, partFor, type PgItem } from "./pg-merge.ts";

interface Init {
  ctrl: Int32Array;
  port: MessagePort;
  notifyPort: MessagePort;
  url: string;
  schema: string;
}

type Req =
  | { op: "query"; sql: string; params: unknown[]; parts?: string[] }
  /** keep: its rows go back with the next answer (the seal sent with COMMIT: PgBridge.commit). */
  | { op: "defer"; sql: string; params: unknown[]; keep?: boolean; parts?: string[] }
  | { op: "exec"; sql: string }
  | { op: "begin"; lockKey?: number; lockTimeoutMs?: number; isolation?: string }
  | { op: "commit" }
  | { op: "rollback" }
  | { op: "listen"; channel: string }
  | { op: "close" }
  /** Requests the bridge held back (begin, defer), then one it waits for: one message. */
  | { op: "batch"; items: Req[] };

type Res =
  | { ok: true; rows?: unknown[]; count?: number; kept?: unknown[] }
  | { ok: false; code: string; message: string; deferredSql?: string };

const { ctrl, port, notifyPort, url, schema } = workerData as Init;

const int8 = {
  to: 20,
  from: [20],
  serialize: (x: unknown) => String(x),
  parse: (x: string) => Number(x),
};

const password = (() => {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
})();

/** Never let the URL or its password reach a message. */
function redact(text: string): string {
  let t = text.split(url).join("[database url]");
  if (password.length >= 3) t = t.split(password).join("[redacted]");
  return t.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)[^@\s]*@/gi, "$1[redacted]@");
}

const options = {
  max: 1,
  idle_timeout: 0,
  connect_timeout: 5,
  fetch_types: false,
  onnotice: () => {},
  types: { int8 } as never,
  connection: {
    search_path: schema,
    application_name: "warrant",
    // Durable before reply: COMMIT returns only once the WAL is flushed
    // (and, with synchronous standbys configured, acknowledged by them),
    // whatever the server's default (docs/postgres.md).
    synchronous_commit: "on",
  },
};

/** The pool of statements and transactions (one connection; see resetPool). */
function newPool(): postgres.Sql {
  const pool: postgres.Sql = postgres(url, {
    ...options,
    // Counts connection losses: a transaction's statements must all run on
    // the connection it began on (txConn). A replaced pool's closing is
    // not the current pool's business.
    onclose: () => {
      if (pool !== sql) return;
      generation++;
      connected = false;
    },
  } as never);
  return pool;
}
let sql = newPool();
/** LISTEN runs on a pool of its own, which re-listens by itself after a drop. */
const listener = postgres(url, options as never);

/**
 * After a connection failure the next request gets a new pool: the driver
 * (postgres 3.4.9 on Bun) can leave the connection it reopens stuck until
 * its connect timeout, again and again, after the server ended the session
 * (seen with pg_terminate_backend: 2 in 6 runs never reconnected).
 */
function resetPool(): void {
  const old = sql;
  sql = newPool();
  generation++;
  connected = false;
  preparedTexts.clear();
  void old.end({ timeout: 0 }).catch(() => {});
}

/** Errors that mean "no usable connection", not "this statement failed". */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "53300", // too_many_connections
]);

const isConnectionError = (code: string) => CONNECTION_CODES.has(code) || code.startsWith("08");

let backoffMs = 0;
let downUntil = 0;
let lastFailure = "";

function failed(e: unknown): Res {
  const err = e as { code?: unknown; message?: unknown; detail?: unknown };
  const code = typeof err.code === "string" ? err.code : "";
  const detail = typeof err.detail === "string" ? ` (${err.detail})` : "";
  const message = redact(String(err.message ?? e) + detail);
  if (isConnectionError(code)) {
    resetPool();
    backoffMs = Math.min(backoffMs === 0 ? 100 : backoffMs * 2, 5000);
    downUntil = Date.now() + backoffMs;
    lastFailure = message;
    return { ok: false, code: "store_unavailable", message: `${message} (${code})` };
  }
  if (code === "55P03") {
    return {
      ok: false,
      code: "store_busy",
      message: `another writer held the store lock past the busy timeout: ${message}`,
    };
  }
  // Two writers each waiting for a lock the other holds (an outcome's
  // compare-and-set waits for the writer lock at COMMIT: pg-driver.ts): the
  // server rolls one back. Nothing of it was committed; it may be retried.
  if (code === "40P01") {
    return {
      ok: false,
      code: "store_busy",
      message: `this transaction deadlocked with another writer and was rolled back: ${message}`,
    };
  }
  return { ok: false, code: code || "error", message };
}

function succeeded(): void {
  backoffMs = 0;
  downUntil = 0;
  connected = true;
}

/**
 * The open transaction: a connection reserved from the pool, opened with a
 * pipelined BEGIN (and the writer lock), so a transaction's first answered
 * statement costs one round trip with them instead of three. `generation`
 * is the pool's connection count when it began: if the connection closes
 * meanwhile the driver would reconnect and run the next statement outside
 * any transaction, so every statement is refused once it has changed.
 */
interface OpenTx {
  conn: postgres.ReservedSql;
  generation: number;
}
let open: OpenTx | null = null;
let generation = 0;
/** Whether the pool's connection is open (false before the first answer and after a close). */
let connected = false;

/**
 * Statements sent without waiting (inside a transaction only): the driver
 * pipelines them on the connection, so a transaction's writes that need no
 * answer cost no round trip each. The next answered request settles them
 * first (the connection answers in order) and fails with the first of their
 * errors — the transaction is aborted then anyway, and COMMIT becomes a
 * rollback.
 */
let deferred: Array<{ p: Promise<unknown>; sql: string; keep?: boolean; parts?: string[] }> = [];
/** The rows of the settled statements sent with `keep`, in order, sent back with the answer that follows them. */
let kept: unknown[] | undefined;

async function settleDeferred(): Promise<{ e: unknown; sql: string } | null> {
  if (deferred.length === 0) return null;
  const list = deferred;
  deferred = [];
  let first: { e: unknown; sql: string } | null = null;
  for (const d of list) {
    try {
      const r = await d.p;
      if (d.keep && !first) kept = [...(kept ?? []), ...(r as postgres.RowList<postgres.Row[]>)];
    } catch (e) {
      first ??= { e, sql: partFor(d.parts, d.sql, e) };
    }
  }
  return first;
}

function deferredFailure(d: { e: unknown; sql: string }): Res {
  const r = failed(d.e);
  return r.ok ? r : { ...r, deferredSql: d.sql };
}

function rowsOf(r: postgres.RowList<postgres.Row[]>): { rows: unknown[]; count: number } {
  return { rows: [...r], count: r.count ?? r.length };
}

/**
 * Statements run as named prepared statements, parsed once per connection.
 * Unprepared, the driver must ask the server for a statement's parameter
 * types before it can bind them: two round trips per statement, and the
 * pipelined ones wait for each other. The store's SQL is a bounded set,
 * but a few shapes vary with their input (multi-row event inserts, IN
 * lists): past PREPARED_MAX distinct texts, new ones run unprepared.
 */
const PREPARED_MAX = 1000;
const preparedTexts = new Set<string>();
function prep(text: string): { prepare: boolean } {
  if (preparedTexts.has(text)) return { prepare: true };
  if (preparedTexts.size >= PREPARED_MAX) return { prepare: false };
  preparedTexts.add(text);
  return { prepare: true };
}

const LOST_MESSAGE =
  "the connection to PostgreSQL closed during the transaction (rolled back by the server)";
const LOST: Res = { ok: false, code: "store_unavailable", message: LOST_MESSAGE };

/** The open transaction's connection, or null when it was lost (its statements must not run). */
function txConn(): postgres.ReservedSql | null {
  return open && open.generation === generation ? open.conn : null;
}

/** Send a statement of the open transaction without waiting for it. */
function pipeline(
  text: string,
  params: unknown[],
  simple = false,
  keep = false,
  parts?: string[],
): void {
  const c = txConn();
  const p = c
    ? (simple ? c.unsafe(text).simple() : c.unsafe(text, params as never[], prep(text))).execute()
    : Promise.reject(Object.assign(new Error(LOST_MESSAGE), { code: "08006" }));
  p.catch(() => {}); // reported by settleDeferred
  deferred.push({ p, sql: text, keep, ...(parts ? { parts } : {}) });
}

/**
 * End the open transaction and give its connection back. COMMIT is sent
 * right behind the pipelined writes, not after their answers: if one of
 * them failed, the server has aborted the transaction and answers the
 * COMMIT with ROLLBACK, and the first failure is what the caller sees.
 */
async function finish(op: "commit" | "rollback"): Promise<Res> {
  const o = open;
  open = null;
  if (!o) {
    const bad = await settleDeferred();
    return bad && op === "commit" ? deferredFailure(bad) : { ok: true };
  }
  if (o.generation !== generation) {
    await settleDeferred();
    return op === "commit" ? LOST : { ok: true };
  }
  const end = o.conn.unsafe(op === "commit" ? "COMMIT" : "ROLLBACK");
  end.catch(() => {});
  try {
    const bad = await settleDeferred();
    const r = await end.catch((e) => (op === "commit" ? Promise.reject(e) : null));
    if (bad) return op === "commit" ? deferredFailure(bad) : { ok: true };
    // COMMIT of a transaction a failed statement aborted answers ROLLBACK.
    if (op === "commit" && r?.command !== "COMMIT") {
      return { ok: false, code: "25P02", message: "the transaction was aborted; rolled back" };
    }
    if (op === "commit") succeeded();
    return { ok: true };
  } catch (e) {
    return failed(e);
  } finally {
    // A closed connection went back to the pool's closed list by itself.
    if (o.generation === generation) o.conn.release();
  }
}

async function handle(m: Req): Promise<Res> {
  if (m.op === "batch") {
    let last: Res = { ok: true };
    for (const item of mergeRuns(m.items as PgItem[]) as Req[]) {
      last = await handle(item);
      // A failed BEGIN ends the batch: what follows must not run outside it.
      if (!last.ok) return last;
    }
    return last;
  }
  if (m.op === "defer") {
    pipeline(m.sql, m.params, false, m.keep === true, m.parts);
    return { ok: true };
  }
  if (m.op === "close") {
    await Promise.all([sql.end({ timeout: 1 }), listener.end({ timeout: 1 })]).catch(() => {});
    return { ok: true };
  }
  if (m.op === "listen") {
    subscribe(m.channel);
    return { ok: true };
  }
  if (m.op === "commit" || m.op === "rollback") return await finish(m.op);
  if (!open && Date.now() < downUntil) {
    return {
      ok: false,
      code: "store_unavailable",
      message: `${lastFailure}; reconnecting, next attempt in ${downUntil - Date.now()} ms`,
    };
  }
  try {
    switch (m.op) {
      case "query": {
        if (open && !txConn()) return LOST;
        const q = (txConn() ?? sql).unsafe(m.sql, m.params as never[], prep(m.sql));
        q.catch(() => {});
        const bad = await settleDeferred();
        if (bad) return deferredFailure(bad);
        let r: postgres.RowList<postgres.Row[]>;
        try {
          r = await q;
        } catch (e) {
          // A read merged with writes (pg-merge.ts): name the write that failed.
          if (m.parts) return deferredFailure({ e, sql: partFor(m.parts, m.sql, e) });
          throw e;
        }
        succeeded();
        return { ok: true, ...rowsOf(r) };
      }
      case "exec": {
        if (open && !txConn()) return LOST;
        const q = (txConn() ?? sql).unsafe(m.sql).simple();
        q.catch(() => {});
        const bad = await settleDeferred();
        if (bad) return deferredFailure(bad);
        await q;
        succeeded();
        return { ok: true };
      }
      case "begin":
        return await begin(m);
    }
  } catch (e) {
    return failed(e);
  }
}

/**
 * Reserve the connection (no round trip when it is open) and pipeline
 * BEGIN, with `lockTimeoutMs` the bound on every lock wait in it and with
 * `lockKey` that advisory lock: the transaction's first answered statement
 * waits for the lock (and fails with its timeout: store_busy).
 */
async function begin(
  m: { lockKey?: number; lockTimeoutMs?: number; isolation?: string },
): Promise<Res> {
  if (open) return { ok: false, code: "25001", message: "a transaction is already open" };
  deferred = [];
  kept = undefined;
  // The driver's reserve() never resolves when it has to open the connection
  // itself (postgres 3.4.9: the reservation is the connection's `initial`
  // query, which it does not hand the connection to): open it first.
  if (!connected) {
    await sql.unsafe("SELECT 1");
    connected = true;
  }
  const conn = await sql.reserve();
  open = { conn, generation };
  const start = m.isolation ? `BEGIN ISOLATION LEVEL ${m.isolation.toUpperCase()}` : "BEGIN";
  // One simple-protocol message; the values are integers (no quoting).
  const ms = m.lockTimeoutMs === undefined ? null : Math.max(1, Math.trunc(m.lockTimeoutMs));
  const parts = [
    ...(ms === null ? [] : [`set_config('lock_timeout', '${ms}ms', true)`]),
    ...(m.lockKey === undefined ? [] : [`pg_advisory_xact_lock(${Math.trunc(m.lockKey)})`]),
  ];
  pipeline(parts.length === 0 ? start : `${start}; SELECT ${parts.join(", ")}`, [], true);
  return { ok: true };
}

/**
 * LISTEN on `channel` on the driver's own listening connection, which it
 * re-establishes after a drop; each (re)listen also wakes the caller, since
 * notifications sent while it was away are lost (the table is the truth).
 * A first attempt that fails (server down) is retried every second.
 */
function subscribe(channel: string): void {
  listener.listen(
    channel,
    (payload) => notifyPort.postMessage(payload),
    () => notifyPort.postMessage(""),
  ).catch(() => setTimeout(() => subscribe(channel), 1000));
}

let queue = Promise.resolve();
port.on("message", (m: Req) => {
  queue = queue.then(async () => {
    let res: Res;
    try {
      res = await handle(m);
    } catch (e) {
      res = failed(e);
    }
    if (m.op === "defer") return; // nobody waits: its failure answers the next request
    if (res.ok && kept) res = { ...res, kept };
    kept = undefined;
    port.postMessage(res);
    Atomics.store(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  });
});
Atomics.store(ctrl, 1, 1);
Atomics.notify(ctrl, 1);
