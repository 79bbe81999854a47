/**
 * `warrant store copy` wiring: resolve each side (a SQLite file, `postgres`
 * for the config's PostgreSQL store, or `postgres:URL_ENV/SCHEMA`), open the
 * source without writing and the target creating and migrating it, copy,
 * then verify the copy's chain and compare heads.
 */
import { resolve } from "node:path";
import type { Config } from "../app/config.ts";
import type { Platform } from "../app/ports/platform.ts";
import type { StoreCopyReport } from "../app/ports/runtime.ts";
import type { Store } from "../app/ports/store.ts";
import { WarrantError } from "../core/errors.ts";
import { createPayloadCodec } from "../store/payload-codec.ts";
import { openStore } from "../store/sqlite-store.ts";
import { copyStore } from "../store/store-copy.ts";
import { openPgLocator, parsePgLocator } from "./store-open.ts";

/** `postgres` → the config's PostgreSQL store (or the defaults), else as given. */
function locate(side: string, config: Config | null, cwd: string): string {
  if (side === "postgres") {
    const pg = config?.store.postgres;
    return `postgres:${pg?.url_env ?? "WARRANT_DATABASE_URL"}/${pg?.schema ?? "warrant"}`;
  }
  return parsePgLocator(side) ? side : resolve(cwd, side);
}

function open(
  platform: Platform,
  loc: string,
  env: Record<string, string | undefined>,
  readOnly: boolean,
): Store {
  const pg = parsePgLocator(loc);
  const codec = createPayloadCodec();
  if (pg) return openPgLocator(platform, pg, env, { codec, readOnly });
  return openStore({
    path: loc,
    driver: platform.sqlite,
    codec,
    ...(readOnly ? { readOnly } : {}),
  });
}

/** Copy `from` into the empty `to`; verify; report. Throws with the fix on any failure. */
export function runStoreCopy(
  platform: Platform,
  opts: {
    from: string;
    to: string;
    config: Config | null;
    cwd: string;
    env: Record<string, string | undefined>;
    onProgress?: (done: number, total: number) => void;
  },
): StoreCopyReport {
  const fromLoc = locate(opts.from, opts.config, opts.cwd);
  const toLoc = locate(opts.to, opts.config, opts.cwd);
  if (fromLoc === toLoc) {
    throw new WarrantError("invalid_argument", "--from and --to name the same store");
  }
  const src = open(platform, fromLoc, opts.env, true);
  try {
    const before = src.verifyAudit();
    if (!before.ok) {
      throw new WarrantError(
        "audit_chain_broken",
        `the source ${src.path} does not verify (${
          before.first_bad ? `seq ${before.first_bad.seq}: ${before.first_bad.problem}` : "rows"
        }); run warrant audit verify on it first`,
      );
    }
    const dst = open(platform, toLoc, opts.env, false);
    try {
      const r = copyStore(src, dst, opts.onProgress);
      const after = dst.verifyAudit();
      const srcHead = src.events({ afterSeq: Math.max(0, src.lastEventSeq() - 1), limit: 1 })[0];
      const same = (srcHead?.hash ?? "") === r.head.hash && src.storeId() === dst.storeId();
      if (!after.ok || !same) {
        throw new WarrantError(
          "audit_chain_broken",
          `the copy in ${dst.path} does not verify against its source ` +
            `(${
              after.ok ? "heads differ" : JSON.stringify(after.first_bad ?? after.row_problems)
            })`,
        );
      }
      return {
        from: src.path,
        to: dst.path,
        rows: r.rows,
        events: r.events,
        head: r.head,
        store_id: dst.storeId(),
        verified: after.checked,
      };
    } finally {
      dst.close();
    }
  } finally {
    src.close();
  }
}
