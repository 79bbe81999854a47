/**
 * Loading the signed example policy as the gate does: verify bytes, then
 * parse, compile, check expiry and rollback (against a real store). Every
 * failure has its own code and a message naming the file and the fix.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeVersionGuard } from "../../src/app/policy-holder.ts";
import { loadPolicy } from "../../src/app/policy-loader.ts";
import type { LoadPolicyInput } from "../../src/app/policy-loader.ts";
import { InMemoryPolicyVersions } from "../../src/app/policy-versions-memory.ts";
import { getPublicKey } from "../../src/core/ed25519.ts";
import { isWarrantError } from "../../src/core/errors.ts";
import { formatPublicKey, parseSecretKeyFile } from "../../src/core/keys.ts";
import { formatSignatureDoc, signPolicyBytes } from "../../src/core/policy-signature.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";

const ROOT = join(import.meta.dir, "../..");
const FILE = "policies/acme.policy.json";
const bytes = new Uint8Array(readFileSync(join(ROOT, FILE)));
const sig = readFileSync(join(ROOT, `${FILE}.sig`), "utf8");
const key = (id: string) =>
  parseSecretKeyFile(readFileSync(join(ROOT, `policies/demo-keys/${id}.key`), "utf8"), id);
const ops = key("ops");
const signers = [{ id: "ops", public_key: formatPublicKey(ops.publicKey) }];
const enc = (s: string) => new TextEncoder().encode(s);

function files(f: Record<string, Uint8Array | string>): LoadPolicyInput["readFile"] {
  return (
    p,
  ) => (p in f ? (typeof f[p] === "string" ? enc(f[p] as string) : (f[p] as Uint8Array)) : null);
}
function base(over: Partial<LoadPolicyInput> = {}): LoadPolicyInput {
  return {
    file: FILE,
    readFile: files({ [FILE]: bytes, [`${FILE}.sig`]: sig }),
    signers,
    threshold: 1,
    allowUnsigned: false,
    versions: new InMemoryPolicyVersions(),
    now: Date.parse("2026-11-23T10:00:00Z"),
    ...over,
  };
}
function refusal(input: LoadPolicyInput): { code: string; message: string } {
  try {
    loadPolicy(input);
  } catch (e) {
    if (isWarrantError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: "ok", message: "" };
}
const withVersion = (v: number) =>
  enc(new TextDecoder().decode(bytes).replace('"version": 1,', `"version": ${v},`));
const signed = (b: Uint8Array, secret = ops.secret, id = "ops") =>
  formatSignatureDoc(signPolicyBytes(b, id, secret));

const dir = mkdtempSync(join(tmpdir(), "warrant-loader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loading the signed example policy", () => {
  test("it verifies, compiles and is accepted", () => {
    const r = loadPolicy(base());
    expect(r.policy.id).toBe("acme-agents");
    expect(r.unsigned).toBe(false);
  });

  test("tampering any single byte is refused, before parsing", () => {
    const codes = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      const t = bytes.slice();
      t[i] = t[i]! ^ 0x01;
      const r = refusal(base({ readFile: files({ [FILE]: t, [`${FILE}.sig`]: sig }) }));
      codes.add(r.code);
      if (i === 0) {
        expect(r.message).toContain(FILE);
        expect(r.message).toContain("warrant policy sign");
      }
    }
    expect([...codes]).toEqual(["policy_digest_mismatch"]);
  });

  test("each failure has its own code, naming the file and the fix", () => {
    const unknown = key("alice");
    const cases: Array<[string, LoadPolicyInput]> = [
      ["policy_signature_missing", base({ readFile: files({ [FILE]: bytes }) })],
      [
        "policy_signature_malformed",
        base({ readFile: files({ [FILE]: bytes, [`${FILE}.sig`]: "{not json" }) }),
      ],
      [
        "policy_signer_unknown",
        base({
          readFile: files({
            [FILE]: bytes,
            [`${FILE}.sig`]: signed(bytes, unknown.secret, "mallory"),
          }),
        }),
      ],
      [
        "policy_signature_invalid",
        base({
          readFile: files({ [FILE]: bytes, [`${FILE}.sig`]: signed(bytes, unknown.secret, "ops") }),
        }),
      ],
      [
        "policy_threshold_not_met",
        base({
          threshold: 2,
          signers: [...signers, {
            id: "ops2",
            public_key: formatPublicKey(getPublicKey(unknown.secret)),
          }],
        }),
      ],
      ["policy_not_found", base({ readFile: files({}) })],
    ];
    const seen = new Set<string>();
    for (const [code, input] of cases) {
      const r = refusal(input);
      expect(r.code).toBe(code);
      expect(r.message).toContain(FILE);
      seen.add(r.code);
    }
    expect(seen.size).toBe(cases.length);
  });

  test("an older version after a newer one is refused (rollback), across store reopen", () => {
    const path = join(dir, "w.db");
    let store = openStore({ path, driver: bunSqlite });
    const v2 = withVersion(2);
    expect(
      loadPolicy(
        base({
          versions: storeVersionGuard(store, "acme"),
          readFile: files({ [FILE]: v2, [`${FILE}.sig`]: signed(v2) }),
        }),
      ).policy.version,
    ).toBe(2);
    store.close();
    store = openStore({ path, driver: bunSqlite });
    const r = refusal(base({ versions: storeVersionGuard(store, "acme") }));
    expect(r.code).toBe("policy_rollback");
    expect(r.message).toContain(FILE);
    // Same version, different content: also refused.
    const v2b = enc(new TextDecoder().decode(v2).replace('"limit": 500', '"limit": 5000'));
    expect(
      refusal(
        base({
          versions: storeVersionGuard(store, "acme"),
          readFile: files({ [FILE]: v2b, [`${FILE}.sig`]: signed(v2b) }),
        }),
      ).code,
    ).toBe("policy_rollback");
    store.close();
  });

  test("rollback per project: acme-agents-legacy v1 is refused after acme-agents v2", () => {
    const path = join(dir, "project.db");
    const store = openStore({ path, driver: bunSqlite });
    const guard = storeVersionGuard(store, "acme");
    const v2 = withVersion(2);
    const load = (b: Uint8Array) =>
      base({ versions: guard, readFile: files({ [FILE]: b, [`${FILE}.sig`]: signed(b) }) });
    expect(loadPolicy(load(v2)).policy.version).toBe(2);
    const legacy = enc(
      new TextDecoder().decode(bytes).replace(
        /"policy": "[^"]+"/,
        '"policy": "acme-agents-legacy"',
      ),
    );
    const r = refusal(load(legacy));
    expect(r.code).toBe("policy_rollback");
    expect(r.message).toContain("acme-agents-legacy v1 is not newer than");
    // Same version under another id with other bytes: refused too.
    const legacy2 = enc(new TextDecoder().decode(legacy).replace('"version": 1,', '"version": 2,'));
    expect(refusal(load(legacy2)).code).toBe("policy_rollback");
    // The active file again (byte-identical) is fine; a higher version under any id too.
    expect(loadPolicy(load(v2)).policy.version).toBe(2);
    const legacy3 = enc(new TextDecoder().decode(legacy).replace('"version": 1,', '"version": 3,'));
    expect(loadPolicy(load(legacy3)).policy.id).toBe("acme-agents-legacy");
    // Another project on the same store keeps its own line.
    expect(loadPolicy({ ...load(v2), versions: storeVersionGuard(store, "other") }).policy.version)
      .toBe(2);
    // The accepted file is kept with its .sig (approvals are re-verified against it).
    expect(store.policyDocument("acme-agents-legacy", 3)?.sig).not.toBeNull();
    store.close();
  });

  test("an expired policy is refused", () => {
    const exp = enc(
      new TextDecoder().decode(bytes).replace(
        '"default": "deny",',
        '"default": "deny",\n  "expires": "2026-01-01T00:00:00Z",',
      ),
    );
    expect(refusal(base({ readFile: files({ [FILE]: exp, [`${FILE}.sig`]: signed(exp) }) })).code)
      .toBe("policy_expired");
  });

  test("allow_unsigned accepts a missing .sig with a warning, but never a bad one", () => {
    const r = loadPolicy(base({ allowUnsigned: true, readFile: files({ [FILE]: bytes }) }));
    expect(r.unsigned).toBe(true);
    expect(r.warnings.length).toBeGreaterThan(0);
    const t = bytes.slice();
    t[10] = t[10]! ^ 1;
    expect(
      refusal(base({ allowUnsigned: true, readFile: files({ [FILE]: t, [`${FILE}.sig`]: sig }) }))
        .code,
    ).toBe("policy_digest_mismatch");
  });
});
