/**
 * How the audit verbs find the store: `--store PATH`, or `--config FILE`
 * (its store.path). They only read events, which never hold arguments in
 * clear, so no data key is needed. A missing file is not_found: verifying
 * must never create an empty store.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseConfig } from "../app/config.ts";
import type { Config } from "../app/config.ts";
import { systemClock } from "../platform/system.ts";
import { openCheckpointer } from "./checkpoints.ts";
import type { Store } from "../app/ports/store.ts";
import { WarrantError } from "../core/errors.ts";
import { bunSqlite } from "../platform/bun.ts";
import { openStore } from "../store/sqlite-store.ts";
import { type CliIO, flagString, type ParsedArgs, UsageError } from "../cli/io.ts";

/** Flags shared by the audit verbs. */
export const STORE_FLAGS = {
  store: { type: "string" },
  config: { type: "string" },
} as const;

/**
 * The store path named by --store, or by the config: --config, else
 * $WARRANT_CONFIG, else ./warrant.json (as every verb that touches the
 * store). UsageError when both flags are given.
 */
export function auditStorePath(args: ParsedArgs, io: CliIO): string {
  const store = flagString(args, "store");
  const config = flagString(args, "config");
  if (store && config) throw new UsageError("pass either --store or --config, not both");
  if (store) return resolve(io.cwd, store);
  const named = config ?? (io.env.WARRANT_CONFIG || undefined);
  const file = resolve(io.cwd, named ?? "warrant.json");
  if (!existsSync(file)) {
    throw new WarrantError(
      "config_not_found",
      named
        ? `Cannot load config ${file}: no such file; pass --config PATH to your warrant.json`
        : `No warrant.json in ${io.cwd} and $WARRANT_CONFIG is not set; pass --config FILE or --store PATH`,
    );
  }
  return parseConfig(readFileSync(file, "utf8"), file).store.path;
}

/** The config named by --config, or null (with --store). */
export function auditConfig(args: ParsedArgs, io: CliIO): Config | null {
  const config = flagString(args, "config");
  if (!config) return null;
  const file = resolve(io.cwd, config);
  return parseConfig(readFileSync(file, "utf8"), file);
}

/**
 * Judge the store against every checkpoint in the config's witness. Null
 * when the config has no `audit` block.
 */
export function witnessVerdict(config: Config | null, store: Store): {
  ok: boolean;
  public_key: string;
  witness: string;
  checkpoints: number;
  kind?: string;
  problem?: string;
} | null {
  if (!config?.audit) return null;
  const o = openCheckpointer(config.audit, store, systemClock);
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

/** Open an existing store for reading its audit log. */
export function openAuditStore(path: string): Store {
  if (!existsSync(path)) {
    throw new WarrantError(
      "not_found",
      `No store at ${path}; check --store or store.path in the config`,
    );
  }
  return openStore({ path, driver: bunSqlite, readOnly: true });
}
