/**
 * The Store on PostgreSQL: the same store code as SQLite (sqlite-store.ts,
 * writes.ts, reads.ts…) over a PgDriver, so every guarantee keeps one code
 * path; what differs is the connection (platform/pg-bridge.ts), the schema
 * (pg-migrations.ts) and the dialect (dialect.ts). See docs/postgres.md.
 */
import type { PgBridgeFactory } from "../../app/ports/sql.ts";
import type { Store } from "../../app/ports/store.ts";
import type { Clock } from "../../app/ports/system.ts";
import { keyedDigest } from "../../core/digest.ts";
import { isWarrantError, WarrantError } from "../../core/errors.ts";
import { checkDataKey, loadDigestKey } from "../key-check.ts";
import { createPayloadCodec, type PayloadCodec } from "../payload-codec.ts";
import { SqliteStore } from "../sqlite-store.ts";
import { channelOf, pgDriver } from "./pg-driver.ts";
import { migratePg } from "./pg-migrations.ts";

export interface OpenPgStoreOptions {
  /** The connection URL (from the environment only; never logged). */
  url: string;
  /** The schema holding warrant's tables (created when missing). */
  schema: string;
  bridge: PgBridgeFactory;
  codec?: PayloadCodec;
  clock?: Clock;
  /** ms a writer waits for the store lock before store_busy (default 30 s). */
  busyTimeoutMs?: number;
  /** No migration, no key-check value written, `tx` refused. */
  readOnly?: boolean;
  keyEnvName?: string;
}

/** A schema name warrant accepts: a plain lowercase identifier. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function newStoreId(): string {
  const b = randomBytes(16);
  return `st_${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

class PostgresStore extends SqliteStore implements Store {
  private watchers: Array<() => void> = [];
  private listening = false;

  constructor(
    private readonly pg: ReturnType<typeof pgDriver>,
    codec: PayloadCodec,
    label: string,
    readOnly: boolean,
    private readonly schema: string,
  ) {
    super(pg, codec, label, readOnly);
  }

  /** LISTEN on the schema's channel (once); every NOTIFY wakes each watcher. */
  watchCommits(listener: () => void): () => void {
    this.watchers.push(listener);
    if (!this.listening) {
      this.listening = true;
      this.pg.bridge.listen(channelOf(this.schema), () => {
        for (const w of [...this.watchers]) {
          try {
            w();
          } catch { /* one watcher's failure must not stop the others */ }
        }
      });
    }
    return () => {
      this.watchers = this.watchers.filter((w) => w !== listener);
    };
  }
}

/**
 * Connect, migrate (once, under a lock) and open the store in `schema`.
 * Throws store_open_failed (unreachable server, bad URL, newer schema) with
 * the URL redacted, or data_key_mismatch.
 *
 * @example
 * const store = openPgStore({ url: process.env.WARRANT_DATABASE_URL!, schema: "warrant", bridge: pgBridge });
 */
export function openPgStore(opts: OpenPgStoreOptions): Store {
  if (!SCHEMA_NAME.test(opts.schema)) {
    throw new WarrantError(
      "config_invalid",
      `store.postgres.schema ${JSON.stringify(opts.schema)} is not a plain identifier ` +
        `(lowercase letters, digits, _; at most 63)`,
    );
  }
  const codec = opts.codec ?? createPayloadCodec();
  const bridge = opts.bridge({
    url: opts.url,
    schema: opts.schema,
    timeoutMs: (opts.busyTimeoutMs ?? 30_000) + 30_000,
  });
  const label = bridge.label;
  const db = pgDriver(bridge, opts.schema, { lockTimeoutMs: opts.busyTimeoutMs ?? 30_000 });
  let digestKey: Uint8Array | null = null;
  try {
    if (!opts.readOnly) {
      migratePg(db, opts.schema, opts.clock?.now() ?? Date.now(), label);
      if (!db.get("SELECT 1 AS x FROM meta WHERE key = 'store_id'")) {
        db.run("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)", [newStoreId()]);
      }
    } else {
      const v = Number(db.get("SELECT MAX(version) AS v FROM schema_migrations")?.v ?? 0);
      if (v === 0) throw new Error(`no warrant store in schema ${opts.schema}`);
    }
    checkDataKey(db, codec, label, {
      ...(opts.readOnly ? { readOnly: true } : {}),
      ...(opts.keyEnvName ? { envName: opts.keyEnvName } : {}),
    });
    digestKey = loadDigestKey(db, codec, {
      random: randomBytes,
      ...(opts.readOnly ? { readOnly: true } : {}),
    });
  } catch (e) {
    try {
      db.close();
    } catch { /* best effort */ }
    if (isWarrantError(e, "store_open_failed") || isWarrantError(e, "data_key_mismatch")) throw e;
    throw new WarrantError(
      "store_open_failed",
      `Cannot open store ${label}: ${(e as Error).message ?? String(e)}; check that the server ` +
        `is reachable, the database exists and the role may create schema ${opts.schema}`,
    );
  }
  const c = digestKey ? { ...codec, digest: (v: unknown) => keyedDigest(digestKey!, v) } : codec;
  return new PostgresStore(db, c, label, !!opts.readOnly, opts.schema);
}
