/**
 * The data key's check value: a constant sealed under the key and kept in
 * `meta`, so a store refuses a wrong key when it opens — before anything is
 * written under it — instead of accepting rows the real key cannot read.
 */
import type { DataCodec } from "../app/ports/store.ts";
import type { SqlDriver } from "../app/ports/sql.ts";
import { decodeBase64, encodeBase64 } from "../core/base64.ts";
import { isWarrantError, WarrantError } from "../core/errors.ts";
import type { PayloadCodec } from "./payload-codec.ts";
import { payloadAad } from "./rows.ts";

const META_KEY = "data_key_check";
const AAD = "meta:data_key_check";
const CHECK = "warrant data key check v1";

/** The check value for `codec`'s key (base64 of its sealed constant). */
export function keyCheckValue(codec: DataCodec): string {
  return encodeBase64(codec.encode(CHECK, AAD));
}

/** Write (or replace) the check value for `codec`'s key; inside a write transaction. */
export function writeKeyCheck(db: SqlDriver, codec: DataCodec): void {
  db.run(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [META_KEY, keyCheckValue(codec)],
  );
}

function mismatch(path: string, envHint: string): WarrantError {
  return new WarrantError(
    "data_key_mismatch",
    `Cannot open store ${path}: the data key${envHint} is not the key this store was encrypted ` +
      `with (its key check does not verify); nothing was written. Export the store's key; ` +
      `to change keys use warrant store rotate-key`,
  );
}

/**
 * Refuse a wrong data key (data_key_mismatch) before anything is written.
 * With a key and no check value yet, an existing encrypted row is tried
 * instead, then the check value is recorded (unless `readOnly`). Without a
 * key nothing is checked: such a process reads events only, or fails on
 * each encrypted row with payload_key_missing.
 */
export function checkDataKey(
  db: SqlDriver,
  codec: PayloadCodec,
  path: string,
  opts: { readOnly?: boolean; envName?: string } = {},
): void {
  if (!codec.encrypted) return;
  const hint = opts.envName ? ` in ${opts.envName}` : "";
  const row = db.get("SELECT value FROM meta WHERE key = ?", [META_KEY]);
  if (row) {
    const sealed = decodeBase64(String(row.value));
    if (!sealed) {
      throw new WarrantError("store_corrupt", `store ${path}: meta.${META_KEY} is not base64`);
    }
    try {
      if (codec.decode(sealed, AAD) !== CHECK) throw mismatch(path, hint);
    } catch (e) {
      if (isWarrantError(e, "payload_decrypt_failed") || isWarrantError(e, "data_key_mismatch")) {
        throw mismatch(path, hint);
      }
      throw e;
    }
    return;
  }
  // A store encrypted before check values existed: an encrypted row decides.
  const sample = db.get(
    "SELECT id, args FROM actions WHERE substr(args, 1, 1) = x'01' ORDER BY rowid LIMIT 1",
  );
  if (sample) {
    try {
      codec.decode(sample.args as Uint8Array, payloadAad("actions", String(sample.id), "args"));
    } catch (e) {
      if (isWarrantError(e, "payload_decrypt_failed")) throw mismatch(path, hint);
      throw e;
    }
  }
  if (opts.readOnly) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    if (!db.get("SELECT 1 AS x FROM meta WHERE key = ?", [META_KEY])) writeKeyCheck(db, codec);
    db.exec("COMMIT");
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}

const DIGEST_META = "digest_key";
const DIGEST_AAD = "meta:digest_key";

/**
 * The store's digest key: 32 random bytes made once, kept in `meta` sealed
 * under the data key (so `rotate-key` re-seals it and digests already in
 * the audit chain stay valid). With it, the digests the store records for
 * arguments, outputs and tool text are HMACs nobody without the data key can
 * test guesses against. Null without encryption, or for a read-only open of
 * a store that has none yet.
 */
export function loadDigestKey(
  db: SqlDriver,
  codec: DataCodec,
  opts: { readOnly?: boolean; random: (n: number) => Uint8Array },
): Uint8Array | null {
  if (!codec.encrypted) return null;
  const read = () => {
    const row = db.get("SELECT value FROM meta WHERE key = ?", [DIGEST_META]);
    if (!row) return null;
    const sealed = decodeBase64(String(row.value));
    const text = sealed ? codec.decode(sealed, DIGEST_AAD) : null;
    const key = typeof text === "string" ? decodeBase64(text, 32) : null;
    if (!key) {
      throw new WarrantError("store_corrupt", `meta.${DIGEST_META} is not a sealed 32-byte key`);
    }
    return key;
  };
  const have = read();
  if (have || opts.readOnly) return have;
  db.exec("BEGIN IMMEDIATE");
  try {
    if (!db.get("SELECT 1 AS x FROM meta WHERE key = ?", [DIGEST_META])) {
      const sealed = codec.encode(encodeBase64(opts.random(32)), DIGEST_AAD);
      db.run("INSERT INTO meta (key, value) VALUES (?, ?)", [DIGEST_META, encodeBase64(sealed)]);
    }
    db.exec("COMMIT");
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
  return read();
}

/** Re-seal the digest key under `next` (inside rotate-key's transaction). */
export function resealDigestKey(db: SqlDriver, prev: DataCodec, next: DataCodec): void {
  const row = db.get("SELECT value FROM meta WHERE key = ?", [DIGEST_META]);
  if (!row) return;
  const sealed = decodeBase64(String(row.value));
  if (!sealed) throw new WarrantError("store_corrupt", `meta.${DIGEST_META} is not base64`);
  const key = prev.decode(sealed, DIGEST_AAD);
  db.run("UPDATE meta SET value = ? WHERE key = ?", [
    encodeBase64(next.encode(key, DIGEST_AAD)),
    DIGEST_META,
  ]);
}
