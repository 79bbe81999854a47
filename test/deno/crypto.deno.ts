/**
 * The pure crypto core under Deno, against the same vector files as the Bun
 * tests. Run: deno test --allow-read --no-check test/deno/
 */
import { decodeBase64, decodeHex, encodeHex } from "../../src/core/base64.ts";
import { canonicalize, parseJsonStrict } from "../../src/core/canonical-json.ts";
import { actionDigest } from "../../src/core/digest.ts";
import { getPublicKey, sign, verify } from "../../src/core/ed25519.ts";
import { isWarrantError } from "../../src/core/errors.ts";
import { formatPublicKey, parsePublicKey, parseSecretKeyFile } from "../../src/core/keys.ts";
import {
  formatSignatureDoc,
  signPolicyBytes,
  verifyPolicySignature,
} from "../../src/core/policy-signature.ts";

// Typed locally so that `tsc` (Bun types) also checks this file; Deno provides it at run time.
declare const Deno: {
  test(name: string, fn: () => void): void;
  readTextFileSync(path: URL): string;
};

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function assertEq<T>(actual: T, expected: T, msg: string): void {
  if (actual !== expected) {
    throw new Error(`${msg}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}
const readJson = (p: string) => JSON.parse(Deno.readTextFileSync(new URL(p, import.meta.url)));
const readText = (p: string) => Deno.readTextFileSync(new URL(p, import.meta.url));
const h = (s: string) => decodeHex(s)!;
function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return isWarrantError(e) ? e.code : "not a WarrantError";
  }
}

Deno.test("canonical JSON vectors", () => {
  const v = readJson("../vectors/canonical-json/cases.json");
  for (const c of v.valid) assertEq(canonicalize(JSON.parse(c.input_json)), c.expected, c.name);
  for (const c of v.ieee_numbers) {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setBigUint64(0, BigInt(`0x${c.ieee_hex}`));
    assertEq(canonicalize(dv.getFloat64(0)), c.expected, c.ieee_hex);
  }
  for (const c of v.invalid) {
    if (c.input_json === undefined) continue;
    assertEq(
      codeOf(() => canonicalize(JSON.parse(c.input_json))),
      "canonical_json_invalid",
      c.name,
    );
  }
  assertEq(codeOf(() => canonicalize(NaN)), "canonical_json_invalid", "NaN");
  assertEq(codeOf(() => canonicalize(Infinity)), "canonical_json_invalid", "Infinity");
  for (const c of v.strict_parse) {
    if (c.ok) parseJsonStrict(c.text);
    else assertEq(codeOf(() => parseJsonStrict(c.text)), c.code, c.name);
  }
});

Deno.test("ed25519 RFC 8032 and strict negatives", () => {
  for (const v of readJson("../vectors/ed25519/rfc8032.json").vectors) {
    assertEq(encodeHex(getPublicKey(h(v.secret_key))), v.public_key, `${v.name} public key`);
    assertEq(encodeHex(sign(h(v.secret_key), h(v.message))), v.signature, `${v.name} signature`);
    assert(verify(h(v.signature), h(v.message), h(v.public_key)), `${v.name} verifies`);
  }
  for (const v of readJson("../vectors/ed25519/strict.json").vectors) {
    assert(!verify(h(v.signature), h(v.message), h(v.public_key)), `rejects ${v.name}`);
  }
});

Deno.test("openssl keys", () => {
  const exp = readJson("../fixtures/keys/openssl-ed25519.expected.json");
  const k = parseSecretKeyFile(
    readText("../fixtures/keys/openssl-ed25519.pem"),
    "openssl-ed25519.pem",
  );
  assertEq(formatPublicKey(k.publicKey), exp.public_key, "PKCS#8 → public key");
  assertEq(
    formatPublicKey(parsePublicKey(readText("../fixtures/keys/openssl-ed25519.pub.pem"))),
    exp.public_key,
    "SPKI",
  );
  const msg = new TextEncoder().encode(exp.message_utf8);
  assert(
    verify(decodeBase64(exp.signature_base64)!, msg, k.publicKey),
    "openssl signature verifies",
  );
});

Deno.test("policy signature round trip and tamper", () => {
  const seeds = readJson("../fixtures/keys/test-seeds.json").seeds;
  const seed = h(seeds.ops);
  const bytes = new TextEncoder().encode('{"policy":"p","version":1}');
  const sigText = formatSignatureDoc(signPolicyBytes(bytes, "ops", seed));
  const signers = [{ id: "ops", public_key: formatPublicKey(getPublicKey(seed)) }];
  const ok = verifyPolicySignature({ file: "p.json", bytes, sigText, signers, threshold: 1 });
  assertEq(ok.signers.join(), "ops", "verified signers");
  const tampered = new TextEncoder().encode('{"policy":"p","version":2}');
  assertEq(
    codeOf(() =>
      verifyPolicySignature({ file: "p.json", bytes: tampered, sigText, signers, threshold: 1 })
    ),
    "policy_digest_mismatch",
    "tampered file",
  );
});

Deno.test("action digest matches the generated fixture", () => {
  const fx = readJson("../vectors/resolutions/fixture.json");
  assertEq(actionDigest(fx.action_digest_input), fx.request.action_digest, "action_digest");
});
