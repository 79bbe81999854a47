/**
 * Plain SQL on an e2e workspace's store, whichever store it is: the SQLite
 * file (bun:sqlite), or under WARRANT_E2E_STORE=postgres the workspace's
 * schema — written in the store's SQLite dialect and translated as the store
 * itself translates it (store/postgres/dialect.ts). Tests use it to look at
 * rows, and to tamper as an attacker with database access would; neither
 * goes through warrant's Store, so what they see is what is stored.
 */
import { test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SqlRow, SqlValue } from "../../src/app/ports/sql.ts";
import type { Store } from "../../src/app/ports/store.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { pgBridge } from "../../src/platform/pg-bridge.ts";
import { openPgStore } from "../../src/store/postgres/pg-store.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { rawPg } from "../store/postgres/pg-backend.ts";
import { E2E_PG_URL, type Workspace } from "./harness.ts";

export interface StoreSql {
  get<T = SqlRow>(sql: string, ...params: SqlValue[]): T | null;
  all<T = SqlRow>(sql: string, ...params: SqlValue[]): T[];
  /** One statement; the number of rows it changed. */
  run(sql: string, ...params: SqlValue[]): number;
  /** Statements without parameters (several allowed). */
  exec(sql: string): void;
  close(): void;
}

/** True when this run puts the e2e workspaces on PostgreSQL (WARRANT_E2E_STORE=postgres). */
export const onPostgres: boolean = E2E_PG_URL !== null;

/**
 * For a test about SQLite's files themselves (modes, WAL, a full disk under
 * the file, read-only media): skipped on PostgreSQL, whose files are the
 * server's. Its name says why ("SQLite only: …").
 */
export const sqliteOnlyTest = test.skipIf(onPostgres);

/** Which store the workspace's processes use: "postgres" under WARRANT_E2E_STORE=postgres. */
export const storeKind = (ws: Workspace): "sqlite" | "postgres" =>
  ws.schema && E2E_PG_URL ? "postgres" : "sqlite";

/** Open the workspace's store for plain SQL (`path`: a SQLite store elsewhere than .warrant/warrant.db). */
export function storeSql(
  ws: Workspace,
  opts: { readonly?: boolean; path?: string } = {},
): StoreSql {
  if (storeKind(ws) === "postgres") {
    const d = rawPg(E2E_PG_URL!, ws.schema!);
    return {
      get: <T>(sql: string, ...params: SqlValue[]) => d.get(sql, params) as T | null,
      all: <T>(sql: string, ...params: SqlValue[]) => d.all(sql, params) as T[],
      run: (sql, ...params) => d.run(sql, params).changes,
      // SQLite's connection settings mean nothing to PostgreSQL.
      exec: (sql) => {
        const rest = sql.replace(/PRAGMA [^;]*;?/gi, "").trim();
        if (rest) d.exec(rest);
      },
      close: () => d.close(),
    };
  }
  const db = new Database(opts.path ?? join(ws.dir, ".warrant/warrant.db"), {
    readonly: !!opts.readonly,
  });
  if (!opts.readonly) db.exec("PRAGMA busy_timeout = 5000");
  return {
    get: <T>(sql: string, ...params: SqlValue[]) =>
      (db.query(sql).get(...(params as never[])) ?? null) as T | null,
    all: <T>(sql: string, ...params: SqlValue[]) =>
      db.query(sql).all(...(params as never[])) as T[],
    run: (sql, ...params) => db.query(sql).run(...(params as never[])).changes,
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}

/** Run `f` on the workspace's store and close it. */
export function withStoreSql<T>(
  ws: Workspace,
  f: (db: StoreSql) => T,
  opts: { readonly?: boolean; path?: string } = {},
): T {
  const db = storeSql(ws, opts);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

/** The workspace's store through warrant's own Store (no encryption): to seed history fast. */
export function openWorkspaceStore(ws: Workspace): Store {
  if (storeKind(ws) === "postgres") {
    return openPgStore({ url: E2E_PG_URL!, schema: ws.schema!, bridge: pgBridge });
  }
  mkdirSync(join(ws.dir, ".warrant"), { recursive: true });
  return openStore({ path: join(ws.dir, ".warrant/warrant.db"), driver: bunSqlite });
}

const latin1 = new TextDecoder("latin1");

/**
 * Everything the store holds at rest, as latin1 text per place: the SQLite
 * file and its WAL (when not empty), or every table of the PostgreSQL schema
 * (each value as stored: bytea as its bytes). To check that a secret is
 * nowhere in clear.
 */
export function storedBytes(ws: Workspace): Record<string, string> {
  const out: Record<string, string> = {};
  if (storeKind(ws) === "sqlite") {
    for (const f of ["warrant.db", "warrant.db-wal"]) {
      const p = join(ws.dir, ".warrant", f);
      // An empty WAL (left by an open that wrote nothing) holds nothing.
      const bytes = existsSync(p) ? readFileSync(p) : null;
      if (bytes && (bytes.length > 0 || f === "warrant.db")) out[f] = bytes.toString("latin1");
    }
    return out;
  }
  withStoreSql(ws, (db) => {
    const tables = db.all<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
      ws.schema!,
    );
    for (const { t } of tables) {
      out[`table ${t}`] = db.all(`SELECT * FROM "${t}"`).map((row) =>
        Object.values(row).map((v) => v instanceof Uint8Array ? latin1.decode(v) : String(v))
          .join("\t")
      ).join("\n");
    }
  });
  return out;
}
