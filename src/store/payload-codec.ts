/**
 * How arguments and outputs are stored: a BLOB whose first byte is the codec
 * version.
 *
 *   0 → plaintext: UTF-8 JSON follows.
 *   1 → AES-256-GCM: `iv (12) || ciphertext || tag (16)` follows, sealed with
 *       the row identity ("actions:<id>:args") as associated data, so a blob
 *       copied onto another row does not decrypt.
 *
 * A store with a key writes version 1 and reads both; a store without a key
 * writes version 0 and refuses version 1 rows with payload_key_missing. A
 * wrong key or a tampered blob is payload_decrypt_failed, never garbage.
 */
import { WarrantError } from "../core/errors.ts";
import type { Aead } from "../app/ports/aead.ts";

/** Encodes JSON values to stored BLOBs and back. `aad` names the row and column. */
export interface PayloadCodec {
  /** True when new payloads are encrypted. */
  readonly encrypted: boolean;
  encode(value: unknown, aad: string): Uint8Array;
  decode(blob: Uint8Array, aad: string): unknown;
  /**
   * The keyed digest the store records for arguments, outputs and tool text
   * (set by the store when encryption is on; see key-check.ts). Absent: the
   * plain sha256 digest, which is fine when the values are stored in clear anyway.
   */
  digest?(value: unknown): string;
}

export const CODEC_PLAINTEXT = 0;
export const CODEC_AES256GCM = 1;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function toJsonBytes(value: unknown): Uint8Array {
  const text = JSON.stringify(value === undefined ? null : value);
  return enc.encode(text);
}

function fromJsonBytes(bytes: Uint8Array, aad: string): unknown {
  try {
    return JSON.parse(dec.decode(bytes));
  } catch {
    throw new WarrantError("store_corrupt", `stored payload ${aad} is not valid UTF-8 JSON`);
  }
}

function withVersion(version: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = version;
  out.set(body, 1);
  return out;
}

/**
 * The codec. With `key` (32 bytes) and `aead`, new payloads are encrypted;
 * without, they are plaintext. Throws key_invalid for a key that is not 32
 * bytes.
 *
 * @example createPayloadCodec() // plaintext
 * @example createPayloadCodec({ key: parseDataKey(env.WARRANT_DATA_KEY!), aead: nodeAead })
 */
export function createPayloadCodec(opts: { key?: Uint8Array; aead?: Aead } = {}): PayloadCodec {
  const { key, aead } = opts;
  if (key !== undefined) {
    if (key.length !== 32) {
      throw new WarrantError("key_invalid", `payload key must be 32 bytes, got ${key.length}`);
    }
    if (!aead) throw new WarrantError("internal_error", "payload key given without an AEAD");
  }
  const encrypted = key !== undefined;
  return {
    encrypted,
    encode(value, aad) {
      const body = toJsonBytes(value);
      if (!encrypted) return withVersion(CODEC_PLAINTEXT, body);
      return withVersion(CODEC_AES256GCM, aead!.seal(key!, body, enc.encode(aad)));
    },
    decode(blob, aad) {
      if (!(blob instanceof Uint8Array) || blob.length === 0) {
        throw new WarrantError("store_corrupt", `stored payload ${aad} is empty or not a BLOB`);
      }
      const version = blob[0];
      const body = blob.subarray(1);
      if (version === CODEC_PLAINTEXT) return fromJsonBytes(body, aad);
      if (version === CODEC_AES256GCM) {
        if (!encrypted) {
          throw new WarrantError(
            "payload_key_missing",
            `stored payload ${aad} is encrypted but no key is configured; ` +
              `set the environment variable named by store.encryption_key_env`,
          );
        }
        let plain: Uint8Array;
        try {
          plain = aead!.open(key!, body, enc.encode(aad));
        } catch {
          throw new WarrantError(
            "payload_decrypt_failed",
            `stored payload ${aad} does not decrypt: wrong key, or the row was tampered with ` +
              `or moved from another row`,
          );
        }
        return fromJsonBytes(plain, aad);
      }
      throw new WarrantError(
        "store_corrupt",
        `stored payload ${aad} has unknown codec version ${version} (known: 0 plaintext, 1 aes-256-gcm)`,
      );
    },
  };
}

/**
 * Parse a 32-byte data key given as 64 hex digits or base64 (standard or
 * url-safe, padded or not). Throws key_invalid naming what was wrong (never
 * the key itself).
 *
 * @example parseDataKey("00".repeat(32)).length // → 32
 */
export function parseDataKey(text: string): Uint8Array {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(t.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const std = t.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
    let bin: string;
    try {
      bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
    } catch {
      bin = "";
    }
    if (bin.length === 32) return Uint8Array.from(bin, (c) => c.charCodeAt(0));
    throw new WarrantError(
      "key_invalid",
      `data key must decode to 32 bytes, got ${bin.length}; generate one with ` +
        `openssl rand -base64 32`,
    );
  }
  throw new WarrantError(
    "key_invalid",
    `data key must be 64 hex digits or base64 of 32 bytes (${t.length} characters given); ` +
      `generate one with openssl rand -base64 32`,
  );
}

/**
 * The codec a config asks for: plaintext when `envName` is undefined, else
 * AES-256-GCM with the key read from that environment variable. Throws
 * payload_key_missing when the variable is unset or empty, key_invalid when
 * it does not hold a 32-byte key.
 *
 * @example codecFromEnv(cfg.store.encryption_key_env, process.env, nodeAead)
 */
export function codecFromEnv(
  envName: string | undefined,
  env: Record<string, string | undefined>,
  aead: Aead,
): PayloadCodec {
  if (envName === undefined) return createPayloadCodec();
  const v = env[envName];
  if (v === undefined || v.trim() === "") {
    throw new WarrantError(
      "payload_key_missing",
      `store.encryption_key_env names ${envName}, but it is not set; export ${envName} ` +
        `(64 hex digits or base64 of 32 bytes)`,
    );
  }
  return createPayloadCodec({ key: parseDataKey(v), aead });
}
