import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { decodeHex } from "../../../src/core/base64.ts";
import { getPublicKey } from "../../../src/core/ed25519.ts";
import { isWarrantError } from "../../../src/core/errors.ts";
import { formatPublicKey } from "../../../src/core/keys.ts";
import {
  formatSignatureDoc,
  parseSignatureDoc,
  signPolicyBytes,
  verifyPolicySignature,
} from "../../../src/core/policy-signature.ts";
import type { VerifyPolicyInput } from "../../../src/core/policy-signature.ts";

const SEEDS = JSON.parse(
  readFileSync(new URL("../../fixtures/keys/test-seeds.json", import.meta.url), "utf8"),
).seeds as Record<string, string>;
const seed = (n: string) => decodeHex(SEEDS[n]!)!;
const signer = (id: string, keyOf = id) => ({
  id,
  public_key: formatPublicKey(getPublicKey(seed(keyOf))),
});
const FILE = "policies/acme.policy.json";
const BYTES = new TextEncoder().encode(
  '{"policy":"acme-agents","version":7,"default":"deny","rules":[]}\n',
);

function run(over: Partial<VerifyPolicyInput>) {
  try {
    return {
      ok: true,
      value: verifyPolicySignature({
        file: FILE,
        bytes: BYTES,
        sigText: null,
        signers: [signer("ops")],
        threshold: 1,
        ...over,
      }),
    } as const;
  } catch (e) {
    if (!isWarrantError(e)) throw e;
    return { ok: false, code: e.code, message: e.message } as const;
  }
}
const sigBy = (ids: string[], bytes = BYTES) => {
  let text: string | undefined;
  for (const id of ids) text = formatSignatureDoc(signPolicyBytes(bytes, id, seed(id), text));
  return text!;
};

describe("policy signatures", () => {
  test("one signer, threshold 1", () => {
    const r = run({ sigText: sigBy(["ops"]) });
    expect(r.ok && r.value.signers).toEqual(["ops"]);
  });
  test("multi-signer: signing again keeps the other signers", () => {
    const text = sigBy(["ops", "ops2"]);
    expect(parseSignatureDoc(text, FILE).signatures.map((s) => s.signer)).toEqual(["ops", "ops2"]);
    const r = run({ sigText: text, signers: [signer("ops"), signer("ops2")], threshold: 2 });
    expect(r.ok).toBe(true);
  });
  test("re-signing replaces this signer's entry", () => {
    const text = formatSignatureDoc(signPolicyBytes(BYTES, "ops", seed("ops"), sigBy(["ops"])));
    expect(parseSignatureDoc(text, FILE).signatures.length).toBe(1);
  });
  test("signing changed bytes drops stale entries", () => {
    const other = new TextEncoder().encode("{}");
    const doc = signPolicyBytes(other, "ops", seed("ops"), sigBy(["ops", "ops2"]));
    expect(doc.signatures.map((s) => s.signer)).toEqual(["ops"]);
  });
  test("missing .sig", () =>
    expect(run({}).ok ? "" : run({}).code).toBe("policy_signature_missing"));
  test("malformed .sig", () => {
    const good = JSON.parse(sigBy(["ops"]));
    const bad = [
      "not json",
      "{}",
      JSON.stringify({ ...good, extra: 1 }),
      JSON.stringify({ ...good, type: "warrant.signature/v2" }),
      JSON.stringify({ ...good, sha256: good.sha256.toUpperCase() }),
      JSON.stringify({ ...good, signatures: [] }),
      JSON.stringify({ ...good, signatures: [{ signer: "ops", sig: "AAAA" }] }),
      JSON.stringify({ ...good, signatures: [good.signatures[0], good.signatures[0]] }),
      `{"type":"warrant.signature/v1","type":"warrant.signature/v1","sha256":"${good.sha256}","signatures":[]}`,
    ];
    for (const sigText of bad) {
      const r = run({ sigText });
      expect(r.ok ? "ok" : r.code).toBe("policy_signature_malformed");
    }
  });
  test("digest mismatch names both hashes", () => {
    const r = run({ sigText: sigBy(["ops"]), bytes: new TextEncoder().encode("{}") });
    expect(r.ok ? "" : r.code).toBe("policy_digest_mismatch");
    const signed = JSON.parse(sigBy(["ops"])).sha256;
    expect(r.ok ? "" : r.message).toContain(signed);
    expect(r.ok ? "" : r.message).toContain("re-sign it with warrant policy sign");
  });
  test("configured signer with a signature that does not verify", () => {
    // "ops" entry signed with ops2's key
    const text = formatSignatureDoc(signPolicyBytes(BYTES, "ops", seed("ops2")));
    const r = run({ sigText: text });
    expect(r.ok ? "" : r.code).toBe("policy_signature_invalid");
  });
  test("bad signature by a configured signer fails even when the threshold is met", () => {
    let text = formatSignatureDoc(signPolicyBytes(BYTES, "ops", seed("ops")));
    text = formatSignatureDoc(signPolicyBytes(BYTES, "ops2", seed("alice"), text));
    const r = run({ sigText: text, signers: [signer("ops"), signer("ops2")], threshold: 1 });
    expect(r.ok ? "" : r.code).toBe("policy_signature_invalid");
  });
  test("unknown signer only: policy_signer_unknown", () => {
    const r = run({ sigText: sigBy(["alice"]) });
    expect(r.ok ? "" : r.code).toBe("policy_signer_unknown");
  });
  test("unknown signer alongside enough trusted ones: ok with a warning", () => {
    const r = run({ sigText: sigBy(["ops", "alice"]) });
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.warnings[0]).toContain('"alice"');
  });
  test("threshold not met", () => {
    const r = run({
      sigText: sigBy(["ops"]),
      signers: [signer("ops"), signer("ops2")],
      threshold: 2,
    });
    expect(r.ok ? "" : r.code).toBe("policy_threshold_not_met");
  });
  test("two ids with the same key count once", () => {
    const r = run({
      sigText: sigBy(["ops", "ops2"]),
      signers: [signer("ops"), signer("ops2")],
      threshold: 2,
    });
    expect(r.ok).toBe(true);
    const text = formatSignatureDoc(signPolicyBytes(BYTES, "ops2", seed("ops"), sigBy(["ops"])));
    const r2 = run({
      sigText: text,
      signers: [signer("ops"), signer("ops2", "ops")],
      threshold: 2,
    });
    expect(r2.ok ? "" : r2.code).toBe("policy_threshold_not_met");
  });
  test("bad threshold and bad configured key", () => {
    expect(() =>
      verifyPolicySignature({ file: FILE, bytes: BYTES, sigText: null, signers: [], threshold: 0 })
    )
      .toThrow("policy_threshold");
    const r = run({
      sigText: sigBy(["ops"]),
      signers: [{ id: "ops", public_key: "ed25519:AAAA" }],
    });
    expect(r.ok ? "" : r.code).toBe("key_invalid");
  });
});
