import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { decodeBase64, decodeHex, encodeHex } from "../../../src/core/base64.ts";
import { getPublicKey, isStrictPublicKey, sign, verify } from "../../../src/core/ed25519.ts";
import { isWarrantError } from "../../../src/core/errors.ts";
import {
  POLICY_DOMAIN,
  RESOLUTION_DOMAIN,
  signDomain,
  verifyDomain,
} from "../../../src/core/signing.ts";

const load = (f: string) =>
  JSON.parse(readFileSync(new URL(`../../vectors/ed25519/${f}`, import.meta.url), "utf8"));
const RFC = load("rfc8032.json").vectors;
const STRICT = load("strict.json");
const h = (s: string) => decodeHex(s)!;

describe("RFC 8032 §7.1", () => {
  for (const v of RFC) {
    test(v.name, () => {
      expect(encodeHex(getPublicKey(h(v.secret_key)))).toBe(v.public_key);
      expect(encodeHex(sign(h(v.secret_key), h(v.message)))).toBe(v.signature);
      expect(verify(h(v.signature), h(v.message), h(v.public_key))).toBe(true);
    });
  }
});

describe("strict verification rejects", () => {
  for (const v of STRICT.vectors) {
    test(v.name, () => expect(verify(h(v.signature), h(v.message), h(v.public_key))).toBe(false));
  }
  test("every small-order point is refused as a public key", () => {
    expect(STRICT.small_order_points.length).toBe(8);
    for (const p of STRICT.small_order_points) expect(isStrictPublicKey(h(p))).toBe(false);
  });
  test("non-Uint8Array inputs return false, never throw", () => {
    const v = RFC[0];
    expect(verify("x" as unknown as Uint8Array, h(v.message), h(v.public_key))).toBe(false);
    expect(verify(h(v.signature), null as unknown as Uint8Array, h(v.public_key))).toBe(false);
    expect(verify(h(v.signature), h(v.message), [1, 2] as unknown as Uint8Array)).toBe(false);
  });
});

describe("keys", () => {
  test("real keys are strict", () => {
    for (const v of RFC) expect(isStrictPublicKey(h(v.public_key))).toBe(true);
  });
  test("sign refuses a seed that is not 32 bytes", () => {
    let err: unknown;
    try {
      sign(new Uint8Array(31), new Uint8Array());
    } catch (e) {
      err = e;
    }
    expect(isWarrantError(err, "key_invalid")).toBe(true);
  });
  test("openssl-made signature verifies", () => {
    const fx = JSON.parse(
      readFileSync(
        new URL("../../fixtures/keys/openssl-ed25519.expected.json", import.meta.url),
        "utf8",
      ),
    );
    const pub = decodeBase64(fx.public_key.slice("ed25519:".length))!;
    const msg = new TextEncoder().encode(fx.message_utf8);
    expect(verify(decodeBase64(fx.signature_base64)!, msg, pub)).toBe(true);
    const body = msg.subarray(new TextEncoder().encode(POLICY_DOMAIN).length);
    expect(verifyDomain(POLICY_DOMAIN, body, decodeBase64(fx.signature_base64)!, pub)).toBe(true);
    expect(verifyDomain(RESOLUTION_DOMAIN, body, decodeBase64(fx.signature_base64)!, pub)).toBe(
      false,
    );
  });
});

describe("domain separation", () => {
  const seed = h(RFC[1].secret_key);
  const pub = h(RFC[1].public_key);
  const bytes = new TextEncoder().encode('{"a":1}');
  test("a policy signature is not a resolution signature", () => {
    const s = signDomain(POLICY_DOMAIN, bytes, seed);
    expect(verifyDomain(POLICY_DOMAIN, bytes, s, pub)).toBe(true);
    expect(verifyDomain(RESOLUTION_DOMAIN, bytes, s, pub)).toBe(false);
    expect(verify(s, bytes, pub)).toBe(false);
  });
});
