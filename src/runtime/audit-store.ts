/**
 * The store the audit verbs read. They only read events, which never hold
 * arguments in clear, so no data key is needed. A missing file is
 * not_found: verifying must never create an empty store.
 */
import { existsSync } from "node:fs";
import type { Config } from "../app/config.ts";
import type { Platform } from "../app/ports/platform.ts";
import type { WitnessVerdict } from "../app/ports/runtime.ts";
import { openCheckpointer } from "./checkpoints.ts";
import type { Store } from "../app/ports/store.ts";
import { WarrantError } from "../core/errors.ts";
import { openStore } from "../store/sqlite-store.ts";
import { createPayloadCodec } from "../store/payload-codec.ts";
import { openPgLocator, parsePgLocator } from "./store-open.ts";

/**
 * Judge the store against every checkpoint in the config's witness. Null
 * when the config has no `audit` block.
 */
export function witnessVerdict(
  platform: Platform,
  config: Config | null,
  store: Store,
): WitnessVerdict | null {
  if (!config?.audit) return null;
  const o = openCheckpointer(config.audit, store, platform.clock);
  const bad = o.checkpointer.check(true);
  const n = o.checkpointer.validCount();
  return bad
    ? {
      ok: false,
      public_key: o.publicKey,
      witness: o.witness,
      checkpoints: n,
      ...bad,
      problem: bad.message,
    }
    : { ok: true, public_key: o.publicKey, witness: o.witness, checkpoints: n };
}

/**
 * Open an existing store for reading its audit log: a SQLite file, or
 * `postgres:URL_ENV/SCHEMA` with the URL taken from `env`.
 */
export function openAuditStore(
  platform: Platform,
  path: string,
  env: Record<string, string | undefined> = {},
): Store {
  const pg = parsePgLocator(path);
  if (pg) {
    return openPgLocator(platform, pg, env, { codec: createPayloadCodec(), readOnly: true });
  }
  if (!existsSync(path)) {
    throw new WarrantError(
      "not_found",
      `No store at ${path}; check --store or store.path in the config`,
    );
  }
  return openStore({ path, driver: platform.sqlite, readOnly: true });
}
