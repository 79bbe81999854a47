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

interface Init {
  ctrl: Int32Array;
  port: MessagePort;
  notifyPort: MessagePort;
  url: string;
  schema: string;
}

type Req =
  | { op: "query"; sql: string; params: unknown[] }
  | { op: "defer"; sql: string; params: unknown[] }
  | { op: "exec"; sql: string }
  | { op: "begin"; lockKey?: number; lockTimeoutMs?: number; isolation?: string }
  | { op: "commit" }
  | { op: "rollback" }
  | { op: "listen"; channel: string }
  | { op: "close" };

type Res =
  | { ok: true; rows?: unknown[]; count?: number }
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

const sql = postgres(url, {
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
});

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
    backoffMs = Math.min(backoffMs === 0 ? 100 : backoffMs * 2, 5000);
    downUntil = Date.now() + backoffMs;
    lastFailure = message;
    return { ok: false, code: "store_unavailable", message: `${message} (${code})` };
  }
  if (code === "55P03") return { ok: false, code: "store_busy", message };
  return { ok: false, code: code || "error", message };
}

function succeeded(): void {
  backoffMs = 0;
  downUntil = 0;
}

interface OpenTx {
  tx: postgres.TransactionSql;
  finish: { commit: () => void; rollback: () => void };
  done: Promise<unknown>;
}
let open: OpenTx | null = null;
const ROLLBACK = Symbol("rollback");

/**
 * Statements sent without waiting (inside a transaction only): the driver
 * pipelines them on the connection, so a transaction's writes that need no
 * answer cost no round trip each. The next answered request settles them
 * first (the connection answers in order) and fails with the first of their
 * errors — the transaction is aborted then anyway, and COMMIT becomes a
 * rollback.
 */
let deferred: Array<{ p: Promise<unknown>; sql: string }> = [];

async function settleDeferred(): Promise<{ e: unknown; sql: string } | null> {
  if (deferred.length === 0) return null;
  const list = deferred;
  deferred = [];
  let first: { e: unknown; sql: string } | null = null;
  for (const d of list) {
    try {
      await d.p;
    } catch (e) {
      first ??= { e, sql: d.sql };
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

async function handle(m: Req): Promise<Res> {
  if (m.op === "defer") {
    const p = open
      ? open.tx.unsafe(m.sql, m.params as never[])
      : Promise.reject(new Error("a deferred statement outside a transaction"));
    p.catch(() => {}); // reported by settleDeferred
    deferred.push({ p, sql: m.sql });
    return { ok: true };
  }
  if (m.op === "close") {
    await sql.end({ timeout: 1 }).catch(() => {});
    return { ok: true };
  }
  if (m.op === "listen") {
    subscribe(m.channel);
    return { ok: true };
  }
  if (!open && m.op !== "rollback" && m.op !== "commit" && Date.now() < downUntil) {
    return {
      ok: false,
      code: "store_unavailable",
      message: `${lastFailure}; reconnecting, next attempt in ${downUntil - Date.now()} ms`,
    };
  }
  try {
    switch (m.op) {
      case "query": {
        const q = (open?.tx ?? sql).unsafe(m.sql, m.params as never[]);
        q.catch(() => {});
        const bad = await settleDeferred();
        if (bad) return deferredFailure(bad);
        const r = await q;
        succeeded();
        return { ok: true, ...rowsOf(r) };
      }
      case "exec": {
        const q = (open?.tx ?? sql).unsafe(m.sql).simple();
        q.catch(() => {});
        const bad = await settleDeferred();
        if (bad) return deferredFailure(bad);
        await q;
        succeeded();
        return { ok: true };
      }
      case "begin":
        return await begin(m);
      case "commit":
      case "rollback": {
        const o = open;
        const bad = await settleDeferred();
        if (!o) return bad && m.op === "commit" ? deferredFailure(bad) : { ok: true };
        open = null;
        if (m.op === "commit" && bad) {
          o.finish.rollback();
          await o.done.catch(() => {});
          return deferredFailure(bad);
        }
        if (m.op === "commit") {
          o.finish.commit();
          await o.done;
          succeeded();
        } else {
          o.finish.rollback();
          await o.done.catch(() => {});
        }
        return { ok: true };
      }
    }
  } catch (e) {
    return failed(e);
  }
}

function begin(
  m: { lockKey?: number; lockTimeoutMs?: number; isolation?: string },
): Promise<Res> {
  return new Promise<Res>((reply) => {
    let started = false;
    deferred = [];
    const done = sql.begin(m.isolation ? `isolation level ${m.isolation}` : "", async (tx) => {
      if (m.lockKey !== undefined) {
        // Pipelined: the transaction's first answered statement waits for the
        // lock (and fails with its timeout: store_busy).
        const lock = "SELECT set_config('lock_timeout', $2, true), pg_advisory_xact_lock($1)";
        const p = tx.unsafe(lock, [
          m.lockKey,
          `${Math.max(1, m.lockTimeoutMs ?? 30_000)}ms`,
        ] as never[]);
        p.catch(() => {});
        deferred.push({ p, sql: lock });
      }
      await new Promise<void>((commit, rollback) => {
        open = { tx, finish: { commit, rollback: () => rollback(ROLLBACK) }, done };
        started = true;
        succeeded();
        reply({ ok: true });
      });
    });
    done.catch((e) => {
      if (!started) reply(failed(e));
    });
  }).then((r) => {
    if (!r.ok) open = null;
    return r;
  });
}

/**
 * LISTEN on `channel` on the driver's own listening connection, which it
 * re-establishes after a drop; each (re)listen also wakes the caller, since
 * notifications sent while it was away are lost (the table is the truth).
 * A first attempt that fails (server down) is retried every second.
 */
function subscribe(channel: string): void {
  sql.listen(
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
    port.postMessage(res);
    Atomics.store(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  });
});
Atomics.store(ctrl, 1, 1);
Atomics.notify(ctrl, 1);
