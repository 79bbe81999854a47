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
 *
 * A runtime's native verifier (node:crypto; useNativeVerify) may stand in
 * front of the pure one, with the same accept set: the length and S checks
 * run first; a native "yes" (the cofactorless equation [S]B = R + [k]A,
 * which implies the cofactored one checked here) is kept only when A and R
 * also pass the strict encoding and small-order checks; a native "no" is
 * decided again by the pure path, because a point with a torsion component
 * satisfies the cofactored equation (which we accept) where the cofactorless
 * one fails. So valid signatures cost one native verification, and only a
 * forged or exotic one pays for the pure check
 * (test/core/crypto/native-crypto.test.ts proves both paths agree).
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

/** A runtime's native Ed25519 verification; trusted only for its "yes" (see above). */
export type NativeVerify = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => boolean;

let native: NativeVerify | null = null;

/** Put `fn` in front of the pure verification (null: pure only). See the module comment. */
export function useNativeVerify(fn: NativeVerify | null): void {
  native = fn;
}

/** p = 2^255 - 19, little-endian, for the canonical-encoding check on bytes. */
const P_LE = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xed : i === 31 ? 0x7f : 0xff));
/** L, little-endian. */
const L_LE = Uint8Array.from(
  { length: 32 },
  (_, i) => Number((ED25519_L >> BigInt(8 * i)) & 0xffn),
);

/** a < b for two 32-byte little-endian numbers. */
function lessLE(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/**
 * The y coordinates (sign bit cleared) of the 8 points of small order: a
 * canonical point whose y is one of these is of small order, whatever its
 * sign bit (its negation is too), including both encodings with x = 0.
 * Written out rather than computed at load (decompressing a point and
 * adding it up 8 times in BigInt cost 2–14 ms of every process start here);
 * test/core/crypto/small-order.test.ts recomputes them from an order-8
 * point with noble and checks they are these five.
 */
export const SMALL_ORDER_Y: readonly Uint8Array[] = [
  "0100000000000000000000000000000000000000000000000000000000000000", // identity, y = 1
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2, y = p - 1
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4, y = 0
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
].map((hex) => Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16)));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * For an R that a native verification accepted (so a curve point): true
 * when its encoding is canonical (y < p, no x = 0 with the sign bit set)
 * and it is not of small order.
 */
function strictAcceptedR(r: Uint8Array): boolean {
  const y = r.slice();
  y[31] = y[31]! & 0x7f;
  return lessLE(y, P_LE) && !SMALL_ORDER_Y.some((s) => sameBytes(s, y));
}

const strictKeys = new Map<string, boolean>();

/** isStrictPublicKey, remembered per key (approvers and signers are few). */
function strictKeyCached(pub: Uint8Array): boolean {
  const k = String.fromCharCode.apply(null, pub as unknown as number[]);
  let ok = strictKeys.get(k);
  if (ok === undefined) {
    ok = isStrictPublicKeyUncached(pub);
    if (strictKeys.size >= 1024) strictKeys.clear();
    strictKeys.set(k, ok);
  }
  return ok;
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
  return isBytes(pub, 32) && strictKeyCached(pub);
}

function isStrictPublicKeyUncached(pub: Uint8Array): boolean {
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
    if (!lessLE(sig.subarray(32), L_LE)) return false;
    if (native !== null) {
      let yes = false;
      try {
        yes = native(sig, msg, pub) === true;
      } catch { /* decided by the pure path */ }
      if (yes) return strictKeyCached(pub) && strictAcceptedR(sig.subarray(0, 32));
    }
    return verifyPure(sig, msg, pub);
  } catch {
    return false;
  }
}

/**
 * The pure strict verification alone (no native verifier), for tests that
 * compare the two paths. Same contract as verify.
 */
export function verifyPure(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
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
