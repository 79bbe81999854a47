/**
 * Which store a config names, opened: the SQLite file (the default) or the
 * PostgreSQL schema whose URL is in the environment (store.postgres). The
 * one place that picks the adapter.
 */
import type { Config } from "../app/config.ts";
import type { Platform } from "../app/ports/platform.ts";
import type { Store } from "../app/ports/store.ts";
import type { PayloadCodec } from "../store/payload-codec.ts";
import { WarrantError } from "../core/errors.ts";
import { openPgStore } from "../store/postgres/pg-store.ts";
import { openStore } from "../store/sqlite-store.ts";

/** `postgres:URL_ENV/SCHEMA` (see app/config.ts storeLocator) → its parts, else null. */
export function parsePgLocator(locator: string): { urlEnv: string; schema: string } | null {
  const m = /^postgres:([A-Za-z_][A-Za-z0-9_]*)\/([a-z_][a-z0-9_]{0,62})$/.exec(locator);
  return m ? { urlEnv: m[1]!, schema: m[2]! } : null;
}

/** The URL in `env[urlEnv]`, or config_invalid naming the variable (never a value). */
export function pgUrlFrom(
  env: Record<string, string | undefined>,
  urlEnv: string,
  where: string,
): string {
  const url = env[urlEnv];
  if (!url) {
    throw new WarrantError(
      "config_invalid",
      `${where}: the PostgreSQL store's URL is read from $${urlEnv}, which is not set; ` +
        `export ${urlEnv}=postgres://USER:PASSWORD@HOST:5432/DB (it is never written in the config)`,
      { path: "store.postgres.url_env" },
    );
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new WarrantError(
      "config_invalid",
      `${where}: $${urlEnv} must be a postgres:// or postgresql:// URL`,
      { path: "store.postgres.url_env" },
    );
  }
  return url;
}

export interface StoreOpenOptions {
  codec: PayloadCodec;
  readOnly?: boolean;
  keyEnvName?: string;
}

/** Open the PostgreSQL store at `postgres:URL_ENV/SCHEMA`. */
export function openPgLocator(
  platform: Platform,
  loc: { urlEnv: string; schema: string },
  env: Record<string, string | undefined>,
  opts: StoreOpenOptions & { busyTimeoutMs?: number },
): Store {
  return openPgStore({
    url: pgUrlFrom(env, loc.urlEnv, `store postgres:${loc.urlEnv}/${loc.schema}`),
    schema: loc.schema,
    bridge: platform.postgres,
    codec: opts.codec,
    clock: platform.clock,
    ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}),
    ...(opts.readOnly ? { readOnly: true } : {}),
    ...(opts.keyEnvName ? { keyEnvName: opts.keyEnvName } : {}),
  });
}

/** Open the store `config` names (SQLite unless store.postgres is set). */
export function openConfiguredStore(
  platform: Platform,
  config: Config,
  env: Record<string, string | undefined>,
  opts: StoreOpenOptions,
): Store {
  const pg = config.store.postgres;
  if (pg) {
    return openPgLocator(platform, { urlEnv: pg.url_env, schema: pg.schema }, env, {
      ...opts,
      busyTimeoutMs: config.store.busy_timeout_ms,
    });
  }
  return openStore({
    path: config.store.path,
    driver: platform.sqlite,
    codec: opts.codec,
    synchronous: config.store.synchronous,
    busyTimeoutMs: config.store.busy_timeout_ms,
    ...(opts.readOnly ? { readOnly: true } : {}),
    ...(opts.keyEnvName ? { keyEnvName: opts.keyEnvName } : {}),
  });
}
