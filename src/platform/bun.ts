/**
 * The Bun platform: bun:sqlite and Bun.serve, plus the runtime-neutral
 * adapters (node:crypto AEAD, process runner, clock, ids, logger). One of the
 * only files allowed to name Bun runtime modules (docs/architecture.md).
 */
import { startThreadAt, threadContext } from "./threads.ts";
import { Database, type SQLQueryBindings } from "bun:sqlite";
import type { FetchHandler, HttpServer, Platform, ServeOptions } from "../app/ports/platform.ts";
import type { SqlDriver, SqlDriverFactory, SqlRow, SqlValue } from "../app/ports/sql.ts";
import { nodeAead } from "./aead.ts";
import { nodeFiles } from "./files.ts";
import { pgBridge, pgBridgeAt } from "./pg-bridge.ts";
import { nodeEd25519Verify, nodeHashes } from "./native-crypto.ts";
import type { NativeHashes } from "../core/digest.ts";
import { isPidAlive } from "./process.ts";
import { immutableUri } from "./sqlite-uri.ts";
import { processRunner } from "./process-runner.ts";
import { stderrLogger, systemClock, systemIds } from "./system.ts";
import { bunStdio } from "./bun-stdio.ts";

/**
 * Open (creating) a SQLite file with bun:sqlite. `strict: true` binds
 * positional parameters without prefixes; `db.query()` caches each prepared
 * statement by its SQL text. Pragmas are the store's business, not the
 * driver's. Throws the binding's error when the file cannot be opened.
 *
 * @example const db = bunSqlite("/tmp/w.db"); db.get("SELECT 1 AS one") // → { one: 1 }
 */
export const bunSqlite: SqlDriverFactory = (path, opts = {}): SqlDriver => {
  const db = opts.immutable
    ? new Database(immutableUri(path), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
    : opts.readOnly
    ? new Database(path, { readonly: true, strict: true })
    : new Database(path, { create: true, strict: true });
  const bind = (params: SqlValue[] | undefined) => (params ?? []) as SQLQueryBindings[];
  return {
    name: "bun:sqlite",
    exec(sql) {
      // One statement (BEGIN IMMEDIATE, COMMIT, SAVEPOINT… on every write):
      // the cached prepared statement; a script (migrations) is run as text.
      if (sql.includes(";")) db.run(sql);
      else db.query(sql).run();
    },
    run(sql, params) {
      const r = db.query(sql).run(...bind(params));
      return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
    },
    get(sql, params) {
      return (db.query(sql).get(...bind(params)) as SqlRow | null) ?? null;
    },
    all(sql, params) {
      return db.query(sql).all(...bind(params)) as SqlRow[];
    },
    close() {
      db.close(false);
    },
  };
};

const SQLITE_OPEN_READONLY = 0x01;
const SQLITE_OPEN_URI = 0x40;

/**
 * Listen on `hostname:port` with Bun.serve and serve `fetch`. Bun refuses
 * bodies over `maxRequestBodySize` before the handler runs. Throws when the
 * address cannot be bound (in use, not permitted).
 *
 * @example const s = bunServe(app.fetch, { hostname: "127.0.0.1", port: 0, maxRequestBodySize: 16384 });
 */
export function bunServe(fetch: FetchHandler, opts: ServeOptions): HttpServer {
  const server = Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    maxRequestBodySize: opts.maxRequestBodySize,
    idleTimeout: opts.idleTimeoutSec ?? 60,
    development: false,
    fetch(req, srv) {
      const ip = srv.requestIP(req)?.address;
      return fetch(req, ip ? { ip } : {});
    },
    error() {
      return new Response(
        JSON.stringify({ error: { code: "internal_error", message: "unexpected server error" } }),
        { status: 500, headers: { "content-type": "application/json" } },
      );
    },
  });
  return {
    hostname: server.hostname ?? opts.hostname,
    port: server.port ?? opts.port,
    async stop(force = false) {
      await server.stop(force);
    },
  };
}

/**
 * node:crypto's hashes, with SHA-256 through Bun.CryptoHasher's one-shot
 * static hash: no hasher object per call, about 3× cheaper than createHash
 * (the audit chain hashes every event).
 */
export function bunHashes(): NativeHashes {
  return {
    ...nodeHashes,
    sha256Hex: (data) => Bun.CryptoHasher.hash("sha256", data, "hex"),
    sha256: (data) => new Uint8Array(Bun.CryptoHasher.hash("sha256", data).buffer),
  };
}

/** The product on Bun (what dist/warrant runs). */
export const bunPlatform: Platform = {
  name: "bun",
  sqlite: bunSqlite,
  // Inside the compiled binary the worker is the embedded entry point
  // src/platform/pg-worker.ts (scripts/build), named relative to src/.
  postgres: Bun.main.startsWith("/$bunfs/") ? pgBridgeAt("./platform/pg-worker.ts") : pgBridge,
  serveHttp: bunServe,
  aead: nodeAead,
  nativeCrypto: { hashes: bunHashes(), ed25519Verify: nodeEd25519Verify },
  files: nodeFiles,
  clock: systemClock,
  // This program: the compiled binary's embedded entry, or src/main.bun.ts.
  startThread: (data) => startThreadAt(Bun.main, data),
  // Bun.isMainThread first: the CLI and the gate never load node:worker_threads.
  threadContext: () => (Bun.isMainThread ? null : threadContext()),
  gateStdio: bunStdio,
  // The binary starts with the tier-up thresholds scaled (scripts/build); a
  // face that is up goes back to the normal policy. From the sources: a no-op.
  steadyState: () => Bun.unsafe.setJITPolicy(1),
  ids: systemIds,
  logger: stderrLogger,
  isPidAlive,
  processRunner,
};

export { isPidAlive };
