/**
 * The native Ed25519 path (node:crypto in front of the pure strict check,
 * core/ed25519.ts) accepts exactly what the pure path accepts: on every
 * vector, on signatures whose R or A carries a torsion component (the case
 * where a native cofactorless "no" must be decided again by the pure
 * cofactored check), and on random and forged inputs. The native hashes give
 * the same bytes as the pure ones.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes, decodeHex } from "../../../src/core/base64.ts";
import {
  ED25519_L,
  getPublicKey,
  sign,
  useNativeVerify,
  verify,
  verifyPure,
} from "../../../src/core/ed25519.ts";
import {
  jsonDigest,
  keyedDigest,
  sha256Bytes,
  sha256Hex,
  useNativeHashes,
} from "../../../src/core/digest.ts";
import { nodeEd25519Verify, nodeHashes } from "../../../src/platform/native-crypto.ts";
import { bunHashes } from "../../../src/platform/bun.ts";

const load = (f: string) =>
  JSON.parse(readFileSync(new URL(`../../vectors/ed25519/${f}`, import.meta.url), "utf8"));
const RFC = load("rfc8032.json").vectors;
const STRICT = load("strict.json");
const h = (s: string) => decodeHex(s)!;

/** verify() with the native verifier installed, then uninstalled again. */
function withNative(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  useNativeVerify(nodeEd25519Verify);
  try {
    return verify(sig, msg, pub);
  } finally {
    useNativeVerify(null);
  }
}

afterAll(() => {
  useNativeVerify(null);
  useNativeHashes(null);
});

const leToBig = (b: Uint8Array) => {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
};
const bigToLe = (n: bigint) =>
  Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const mod = (n: bigint) => ((n % ED25519_L) + ED25519_L) % ED25519_L;
/** An order-8 point (strict.json's small_order_points[1]). */
const T8 = ed.Point.fromBytes(h(STRICT.small_order_points[1]), false);

/**
 * A signature valid under the cofactored equation only: R (or A) carries
 * the order-8 component T8. `on` says where the torsion goes.
 */
function torsionSignature(on: "R" | "A", seed: number, msg: Uint8Array) {
  const a = mod(leToBig(crypto.getRandomValues(new Uint8Array(32))) + BigInt(seed)) || 1n;
  const r = mod(leToBig(crypto.getRandomValues(new Uint8Array(32)))) || 1n;
  const A = on === "A" ? ed.Point.BASE.multiply(a).add(T8) : ed.Point.BASE.multiply(a);
  const R = on === "R" ? ed.Point.BASE.multiply(r).add(T8) : ed.Point.BASE.multiply(r);
  const pub = A.toBytes();
  const Rb = R.toBytes();
  const k = mod(leToBig(sha512(concatBytes(Rb, pub, msg))));
  const S = mod(r + k * a);
  return { sig: concatBytes(Rb, bigToLe(S)), pub, k };
}

describe("native Ed25519 has the pure path's accept set", () => {
  test("RFC 8032 vectors: both accept", () => {
    for (const v of RFC) {
      const args = [h(v.signature), h(v.message), h(v.public_key)] as const;
      expect(verifyPure(...args)).toBe(true);
      expect(withNative(...args)).toBe(true);
    }
  });

  test("strict vectors: both refuse (whatever node:crypto says on its own)", () => {
    for (const v of STRICT.vectors) {
      const args = [h(v.signature), h(v.message), h(v.public_key)] as const;
      expect(verifyPure(...args)).toBe(false);
      expect(withNative(...args)).toBe(false);
    }
  });

  test("small-order R and small-order A with a native yes are refused", () => {
    // Identity key and identity R with S = 0: [S]B = R + [k]A holds for every
    // message, so a cofactorless verifier may say yes; the strict checks say no.
    const zero = new Uint8Array(32);
    const id = h(STRICT.small_order_points[0]);
    const msg = new TextEncoder().encode("anything");
    const sig = concatBytes(id, zero);
    expect(verifyPure(sig, msg, id)).toBe(false);
    expect(withNative(sig, msg, id)).toBe(false);
    // A real key, R of small order, S = k·a: only the R check stops it.
    const seed = new Uint8Array(32).fill(3);
    const pub = getPublicKey(seed);
    for (const p of STRICT.small_order_points) {
      const s2 = concatBytes(h(p), zero);
      expect(withNative(s2, msg, pub)).toBe(verifyPure(s2, msg, pub));
    }
  });

  test("torsion in R or A: native says no, the pure fallback accepts, so do we", () => {
    const msg = new TextEncoder().encode("torsion");
    let nativeAloneRefused = 0;
    for (let i = 0; i < 16; i++) {
      for (const on of ["R", "A"] as const) {
        const { sig, pub } = torsionSignature(on, i, msg);
        const pure = verifyPure(sig, msg, pub);
        expect(pure).toBe(true);
        expect(withNative(sig, msg, pub)).toBe(pure);
        let raw = false;
        try {
          raw = nodeEd25519Verify(sig, msg, pub);
        } catch { /* a refusal */ }
        if (!raw) nativeAloneRefused++;
      }
    }
    // The case exists: node:crypto alone (cofactorless) refuses most of these.
    expect(nativeAloneRefused).toBeGreaterThan(0);
  });

  test("random, forged and mutated inputs: identical answers", () => {
    const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    for (let i = 0; i < 60; i++) {
      const seed = rnd(32);
      const pub = getPublicKey(seed);
      const msg = rnd(i % 7 === 0 ? 0 : 1 + (i % 40));
      const sig = sign(seed, msg);
      const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [
        [sig, msg, pub],
        [rnd(64), msg, pub], // random signature
        [sig, rnd(msg.length + 1), pub], // other message
        [sig, msg, getPublicKey(rnd(32))], // other key
        [sig, msg, rnd(32)], // random (often invalid) key bytes
      ];
      const bit = concatBytes(sig);
      bit[i % 64] = bit[i % 64]! ^ (1 << (i % 8)); // one flipped bit
      cases.push([bit, msg, pub]);
      const malleated = concatBytes(
        sig.subarray(0, 32),
        bigToLe(leToBig(sig.subarray(32)) + ED25519_L),
      );
      cases.push([malleated, msg, pub]); // S + L
      for (const [s, m, p] of cases) expect(withNative(s, m, p)).toBe(verifyPure(s, m, p));
    }
  });
});

describe("native hashes give the pure bytes", () => {
  for (const [name, impl] of [["node:crypto", nodeHashes], ["Bun", bunHashes()]] as const) {
    test(`${name}: sha256, hex, JSON and keyed digests`, () => {
      const inputs: unknown[] = ["", "abc", "€ and 𝄞", { b: 1, a: [1e30, -0, "x"] }, { n: 42 }];
      const key = new Uint8Array(32).fill(9);
      const pure = inputs.map((v) => [
        sha256Hex(typeof v === "string" ? v : JSON.stringify(v)),
        jsonDigest(v),
        keyedDigest(key, v),
        [...sha256Bytes(new TextEncoder().encode(JSON.stringify(v)))].join(),
      ]);
      useNativeHashes(impl);
      try {
        const native = inputs.map((v) => [
          sha256Hex(typeof v === "string" ? v : JSON.stringify(v)),
          jsonDigest(v),
          keyedDigest(key, v),
          [...sha256Bytes(new TextEncoder().encode(JSON.stringify(v)))].join(),
        ]);
        expect(native).toEqual(pure);
        expect(sha256Hex("abc")).toBe(
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        );
      } finally {
        useNativeHashes(null);
      }
    });
  }
});
