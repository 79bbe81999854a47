/**
 * The synchronous PostgreSQL bridge (the PgBridge port): the `postgres`
 * driver runs in a worker thread (platform/pg-worker.ts) and the calling
 * thread blocks on Atomics.wait for each answer. The Store port is
 * synchronous on purpose — a transaction cannot interleave with other work
 * on the event loop, which is what makes "evaluate + counters + decision"
 * atomic in the gate — and no JavaScript PostgreSQL driver is synchronous,
 * so the bridge keeps every caller's code path the one SQLite uses.
 *
 * Cost: one round trip to the worker per answered statement (tens of µs
 * of CPU) on top of the server's. BEGIN (with the writer lock) and the
 * statements nobody waits for (defer) are held here and sent with the next
 * answered request as one message: a transaction's first answered
 * statement carries its BEGIN, and its COMMIT carries its event writes. A
 * short spin before Atomics.wait catches fast answers without a futex
 * sleep/wake.
 */
import type { MessageChannel, Worker } from "node:worker_threads";
import { nodeWorkerThreads } from "./builtins.ts";
import type { PgBridge, PgBridgeFactory, SqlRow, SqlValue } from "../app/ports/sql.ts";
import { WarrantError } from "../core/errors.ts";

type Res =
  | { ok: true; rows?: SqlRow[]; count?: number; kept?: SqlRow[] }
  | { ok: false; code: string; message: string; deferredSql?: string };

/** `postgres://user:secret@host:5432/db?x` → `postgres://host:5432/db`: no credentials, no options. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "postgres://[unparseable url]";
  }
}

/**
 * Where the worker's module is: beside this file from the sources, or
 * dist/pg-worker.js beside the Deno bundle (scripts/build makes it). Bun's
 * compiled binary names its embedded copy itself (platform/bun.ts).
 */
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith(".js") ? "./pg-worker.js" : "./pg-worker.ts", here);
}

/**
 * A few µs of spinning: an answer from the server takes a round trip (100 µs
 * and more), so a long spin only burns the CPU the worker and the server
 * need — 20,000 spins took ~240 µs per wait on a busy 2-core machine, over
 * a millisecond per govern.
 */
const SPINS = 1_000;

function waitFlag(ctrl: Int32Array, index: number, timeoutMs: number): boolean {
  for (let i = 0; i < SPINS; i++) if (Atomics.load(ctrl, index) !== 0) return true;
  return Atomics.wait(ctrl, index, 0, timeoutMs) !== "timed-out" || Atomics.load(ctrl, index) !== 0;
}

class WorkerBridge implements PgBridge {
  readonly label: string;
  private worker: Worker | null = null;
  private ctrl = new Int32Array(new SharedArrayBuffer(8));
  /** Never notified: Atomics.wait on it is a short blocking sleep. */
  private pause = new Int32Array(new SharedArrayBuffer(4));
  private port: MessageChannel["port1"] | null = null;
  private notifyPort: MessageChannel["port1"] | null = null;
  private listeners = new Map<string, Array<(payload: string) => void>>();
  private open = false;
  private closed = false;
  /** begin/defer requests not sent yet: they go with the next answered request. */
  private pending: Array<Record<string, unknown>> = [];

  constructor(
    private readonly url: string,
    private readonly schema: string,
    private readonly timeoutMs: number,
    private readonly workerUrl: string | URL,
  ) {
    this.label = `${redactUrl(url)} (schema ${schema})`;
  }

  get inTx(): boolean {
    return this.open;
  }

  private start(): void {
    if (this.worker) return;
    this.ctrl = new Int32Array(new SharedArrayBuffer(8));
    const { MessageChannel, Worker } = nodeWorkerThreads();
    const ch = new MessageChannel();
    const nch = new MessageChannel();
    const worker = new Worker(this.workerUrl, {
      workerData: {
        ctrl: this.ctrl,
        port: ch.port2,
        notifyPort: nch.port2,
        url: this.url,
        schema: this.schema,
      },
      transferList: [ch.port2, nch.port2] as never,
    });
    worker.unref();
    nch.port1.on("message", (payload: string) => {
      for (const [, ls] of this.listeners) for (const l of ls) l(payload);
    });
    nch.port1.unref();
    this.worker = worker;
    this.port = ch.port1;
    this.notifyPort = nch.port1;
    if (!waitFlag(this.ctrl, 1, 15_000)) {
      this.stop();
      throw new WarrantError(
        "store_unavailable",
        `store ${this.label}: the PostgreSQL worker did not start within 15 s`,
      );
    }
    for (const channel of this.listeners.keys()) this.call({ op: "listen", channel });
  }

  private stop(): void {
    void this.worker?.terminate();
    this.port?.close();
    this.notifyPort?.close();
    this.worker = null;
    this.port = null;
    this.notifyPort = null;
    this.open = false;
    this.pending = [];
  }

  private call(req: Record<string, unknown>): Res {
    if (this.closed) {
      throw new WarrantError("internal_error", `store ${this.label} is closed`);
    }
    this.start();
    Atomics.store(this.ctrl, 0, 0);
    if (this.pending.length > 0) {
      const items = [...this.pending, req];
      this.pending = [];
      this.port!.postMessage({ op: "batch", items });
    } else this.port!.postMessage(req);
    if (!waitFlag(this.ctrl, 0, this.timeoutMs)) {
      // The worker is stuck (a dead socket the OS has not noticed): drop it;
      // the server rolls back whatever transaction its connection held.
      this.stop();
      throw new WarrantError(
        "store_unavailable",
        `store ${this.label}: no answer from PostgreSQL within ${this.timeoutMs} ms; reconnecting`,
      );
    }
    // The flag is set after the worker's postMessage, but a runtime may hand
    // the message to this port a moment later (seen on Deno under load):
    // poll briefly before calling the answer lost.
    const { receiveMessageOnPort } = nodeWorkerThreads();
    let got = receiveMessageOnPort(this.port!);
    for (let i = 0; !got && i < 200; i++) {
      Atomics.wait(this.pause, 0, 0, 1);
      got = receiveMessageOnPort(this.port!);
    }
    if (!got) {
      this.stop();
      throw new WarrantError("store_unavailable", `store ${this.label}: the worker lost an answer`);
    }
    return got.message as Res;
  }

  private must(req: Record<string, unknown>): Extract<Res, { ok: true }> {
    const r = this.call(req);
    if (r.ok) return r;
    if (r.code === "store_unavailable" || r.code === "store_busy") {
      throw new WarrantError(
        r.code,
        r.code === "store_busy"
          ? `store ${this.label}: ${r.message}`
          : `store ${this.label} is unreachable: ${r.message}; warrant refuses to decide ` +
            `until it answers again (it reconnects with backoff)`,
      );
    }
    const e = new Error(`PostgreSQL ${r.code}: ${r.message}`) as Error & {
      code: string;
      deferredSql?: string;
    };
    e.code = r.code;
    if (r.deferredSql) e.deferredSql = r.deferredSql;
    throw e;
  }

  query(sql: string, params: SqlValue[] = []): { rows: SqlRow[]; count: number } {
    const r = this.must({ op: "query", sql, params });
    return { rows: r.rows ?? [], count: r.count ?? 0 };
  }

  exec(sql: string): void {
    this.must({ op: "exec", sql });
  }

  defer(sql: string, params: SqlValue[] = []): void {
    if (!this.open) {
      throw new WarrantError("internal_error", "PgBridge.defer outside a transaction");
    }
    this.pending.push({ op: "defer", sql, params });
  }

  begin(opts: { lockKey?: number; lockTimeoutMs?: number; isolation?: "repeatable read" }): void {
    if (this.open) {
      throw new WarrantError("internal_error", "PgBridge.begin: already in a transaction");
    }
    // Sent with the transaction's first answered statement (or its end).
    this.pending.push({ op: "begin", ...opts });
    this.open = true;
  }

  commit(last: ReadonlyArray<{ sql: string; params: SqlValue[] }> = []): SqlRow[] | null {
    for (const l of last) {
      this.pending.push({ op: "defer", sql: l.sql, params: l.params, keep: true });
    }
    this.open = false;
    return this.must({ op: "commit" }).kept ?? null;
  }

  rollback(): void {
    this.open = false;
    // Nothing of it reached the worker yet: nothing to roll back.
    if (this.pending[0]?.op === "begin") {
      this.pending = [];
      return;
    }
    this.pending = [];
    if (this.worker) this.must({ op: "rollback" });
  }

  listen(channel: string, onNotify: (payload: string) => void): void {
    const had = this.listeners.has(channel);
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), onNotify]);
    if (!had && this.worker) this.must({ op: "listen", channel });
    else if (!had) this.start();
  }

  close(): void {
    if (this.closed) return;
    if (this.worker) {
      try {
        this.call({ op: "close" });
      } catch { /* closing anyway */ }
    }
    this.closed = true;
    this.stop();
  }
}

/**
 * Connect to PostgreSQL at `url` (lazily, on the first statement), tables
 * in `schema`. Each call waits at most `timeoutMs` (default 60 s) for its
 * answer before the bridge gives up on the connection (store_unavailable).
 *
 * @example const pg = pgBridge({ url: process.env.WARRANT_DATABASE_URL!, schema: "warrant" });
 * pg.query("SELECT 1 AS one").rows // → [{ one: 1 }]
 */
export const pgBridge: PgBridgeFactory = ({ url, schema, timeoutMs }) =>
  new WorkerBridge(url, schema, timeoutMs ?? 60_000, defaultWorkerUrl());

/** The same, with the worker module at `workerUrl` (an embedded entry point). */
export const pgBridgeAt =
  (workerUrl: string | URL): PgBridgeFactory => ({ url, schema, timeoutMs }) =>
    new WorkerBridge(url, schema, timeoutMs ?? 60_000, workerUrl);
