/**
 * Ed25519, the only importer of @noble/ed25519. Verification is strict
 * RFC 8032 / FIPS 186-5 plus two checks that close known gaps:
 *
 * - signature exactly 64 bytes, public key exactly 32 bytes;
 * - S canonical (S < L), so a signature cannot be malleated into another;
 * - A and R canonical encodings (y < p, no "negative zero" x);
 * - A not of small order (a small-order key lets one signature verify for
 *   every message), and R not of small order (never produced by a signer).
 *
 * noble's `{ zip215: false }` does the first three and the small-order A
 * check; we repeat the S, length and small-order checks here explicitly so
 * that a change of library defaults cannot silently loosen them.
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes } from "./base64.ts";
import { WarrantError } from "./errors.ts";

// noble v3 needs a synchronous SHA-512 for the sync API.
ed.hashes.sha512 = sha512;

/** The order of the prime-order subgroup, L = 2^252 + 27742317777372353535851937790883648493. */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

function leToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

let baseTable = false;

/**
 * For long-running servers (warrant serve): build noble's precomputed
 * base-point table once (~40 ms) so that every later verification is several
 * times cheaper. Short-lived processes (the CLI, a gate start) skip it.
 * The strict checks are the same either way.
 */
export function precomputeBaseTable(): void {
  ed.Point.BASE.multiply(2n); // the first multiplication of B builds the table
  baseTable = true;
}

/** [n]B without noble's precomputed table (see verify). */
function baseMultiply(n: bigint): InstanceType<typeof ed.Point> {
  let p = ed.Point.ZERO;
  for (let i = n.toString(2).length - 1; i >= 0; i--) {
    p = p.double();
    if ((n >> BigInt(i)) & 1n) p = p.add(ed.Point.BASE);
  }
  return p;
}

function isBytes(v: unknown, len: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === len;
}

function checkSecret(secret: unknown): void {
  if (!isBytes(secret, 32)) {
    const got = secret instanceof Uint8Array ? `${secret.length} bytes` : typeof secret;
    throw new WarrantError(
      "key_invalid",
      `An ed25519 secret key must be a 32-byte seed, got ${got}; generate one with warrant keygen`,
    );
  }
}

/**
 * Decode a point strictly (canonical y < p); null when not a valid canonical
 * encoding. Never throws.
 */
function decodePoint(bytes: Uint8Array): InstanceType<typeof ed.Point> | null {
  try {
    return ed.Point.fromBytes(bytes, false);
  } catch {
    return null;
  }
}

/**
 * True when `pub` is a usable ed25519 public key: 32 bytes, a canonical
 * encoding of a curve point, not of small order. Never throws.
 *
 * @example isStrictPublicKey(new Uint8Array(32)) // false (not a point)
 */
export function isStrictPublicKey(pub: Uint8Array): boolean {
  if (!isBytes(pub, 32)) return false;
  const p = decodePoint(pub);
  return p !== null && !p.isSmallOrder();
}

/**
 * The 32-byte public key of a 32-byte secret seed (RFC 8032 §5.1.5).
 * Throws WarrantError("key_invalid") when the seed is not 32 bytes.
 */
export function getPublicKey(secret: Uint8Array): Uint8Array {
  checkSecret(secret);
  return ed.getPublicKey(secret);
}

/**
 * The deterministic 64-byte signature of `msg` under a 32-byte secret seed.
 * Throws WarrantError("key_invalid") when the seed is not 32 bytes.
 *
 * @example verify(sign(seed, msg), msg, getPublicKey(seed)) // true
 */
export function sign(secret: Uint8Array, msg: Uint8Array): Uint8Array {
  checkSecret(secret);
  return ed.sign(msg, secret);
}

/**
 * Strict verification (see the module comment). Returns false, never throws,
 * on any malformed input: wrong lengths, non-canonical S or points,
 * small-order A or R, or a signature that does not match.
 */
export function verify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  try {
    if (!isBytes(sig, 64) || !isBytes(pub, 32) || !(msg instanceof Uint8Array)) return false;
    if (leToBigInt(sig.subarray(32)) >= ED25519_L) return false;
    const A = decodePoint(pub);
    const R = decodePoint(sig.subarray(0, 32));
    if (A === null || R === null || A.isSmallOrder() || R.isSmallOrder()) return false;
    // [8]([k]A + R - [S]B) == O, as noble's strict verify, but [S]B by plain
    // double-and-add: noble's base-point table (W=8) costs ~40 ms to build on
    // first use, which a gate that verifies a few signatures per start pays
    // in full; this costs ~2 ms per verification and nothing up front.
    if (baseTable) return ed.verify(sig, msg, pub, { zip215: false });
    const S = leToBigInt(sig.subarray(32));
    const k = leToBigInt(sha512(concatBytes(sig.subarray(0, 32), pub, msg))) % ED25519_L;
    const kA = A.multiply(k, false); // unsafe mode: public inputs, and k = 0 is allowed
    return kA.add(R).subtract(baseMultiply(S)).clearCofactor().is0();
  } catch {
    return false;
  }
}
