/**
 * The inbox page's plain-JS formats (src/transport/inbox/warrant-web.js)
 * against the same vectors as src/core and against core's own functions:
 * canonical JSON, the action digest, key files, the signed bytes, and a
 * WebCrypto signature that core's verifier accepts.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { canonicalize as coreCanonicalize } from "../../src/core/canonical-json.ts";
import { actionDigest as coreActionDigest } from "../../src/core/digest.ts";
import { formatKeyFile, parseSecretKeyFile } from "../../src/core/keys.ts";
import { resolutionSigningBytes } from "../../src/core/approval/request.ts";
import type { Resolution } from "../../src/core/approval/request.ts";
import { verifyResolution } from "../../src/core/approval/resolution.ts";
import type * as Web from "../../src/transport/inbox/warrant-web.types.d.ts";
import { FIXTURE } from "../http/app-harness.ts";
import { seedOf } from "../http/signer.ts";

// The page's module is plain JS; its types live beside it (warrant-web.types.d.ts).
const web: typeof Web = await import("../../src/transport/inbox/warrant-web.js" as string);

const V = JSON.parse(
  readFileSync(new URL("../vectors/canonical-json/cases.json", import.meta.url), "utf8"),
);

function float64(hex: string): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt(`0x${hex}`));
  return dv.getFloat64(0);
}

const cyc: Record<string, unknown> = {};
cyc.self = cyc;
const SPECIAL: Record<string, unknown> = {
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
  undefined: { a: undefined },
  function: [() => 1],
  bigint: { n: 1n },
  Date: { d: new Date(0) },
  Map: new Map(),
  cycle: cyc,
  symbol: { s: Symbol("x") },
};

describe("page canonical JSON = the RFC 8785 vectors", () => {
  for (const c of V.valid) {
    test(c.name, () => expect(web.canonicalize(JSON.parse(c.input_json))).toBe(c.expected));
  }
  for (const c of V.ieee_numbers) {
    test(`IEEE ${c.ieee_hex}`, () =>
      expect(web.canonicalize(float64(c.ieee_hex))).toBe(c.expected));
  }
  for (const c of V.invalid) {
    test(`refuses ${c.name}`, () => {
      const value = c.special !== undefined
        ? SPECIAL[c.special]
        : c.ieee_hex !== undefined
        ? float64(c.ieee_hex)
        : JSON.parse(c.input_json);
      expect(() => web.canonicalize(value)).toThrow();
      expect(() => coreCanonicalize(value)).toThrow();
    });
  }
});

const view = {
  request_id: FIXTURE.request.id,
  action_id: FIXTURE.request.action_id,
  session_id: FIXTURE.request.session_id,
  tool: FIXTURE.request.tool,
  args: FIXTURE.request.args,
  policy: { id: FIXTURE.request.policy_id, version: FIXTURE.request.policy_version },
  action_digest: FIXTURE.request.action_digest,
};

describe("page action digest = core's", () => {
  test("the fixture request's digest is recomputed from its shown fields", async () => {
    expect(await web.actionDigest(view)).toBe(FIXTURE.request.action_digest);
    expect(coreActionDigest(view)).toBe(FIXTURE.request.action_digest);
    expect(await web.digestProblem(view)).toBeNull();
  });

  test("core and page agree on awkward arguments", async () => {
    const args = { "€": [1e30, -0, 0.1, "\u2028"], "\r": { z: null, a: true }, n: 5e-324 };
    const v = { ...view, args };
    expect(await web.actionDigest(v)).toBe(coreActionDigest(v));
  });

  test("any altered field is a mismatch the page refuses", async () => {
    for (
      const altered of [
        { ...view, args: { ...view.args, amount: 2500 } },
        { ...view, tool: "send_payment2" },
        { ...view, session_id: "ses_other" },
        { ...view, policy: { ...view.policy, version: 8 } },
        { ...view, action_digest: `sha256:${"0".repeat(64)}` },
      ]
    ) {
      expect(await web.digestProblem(altered)).toMatch(/does not match/);
    }
  });
});

describe("page key files = core's", () => {
  test("warrant JSON key file", () => {
    const text = formatKeyFile("alice", seedOf("alice"));
    const page = web.parseKeyFile(text);
    const core = parseSecretKeyFile(text, "alice.key");
    expect(page.id).toBe("alice");
    expect(page.seed).toEqual(core.secret);
    expect(page.publicKey).toEqual(core.publicKey);
  });

  test("openssl PKCS#8 PEM", () => {
    const pem = readFileSync(
      new URL("../fixtures/keys/openssl-ed25519.pem", import.meta.url),
      "utf8",
    );
    const page = web.parseKeyFile(pem);
    expect(page.seed).toEqual(parseSecretKeyFile(pem, "k.pem").secret);
    expect(page.format).toBe("pkcs8-pem");
    expect(web.pkcs8FromSeed(page.seed)).toEqual(
      new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64")),
    );
  });

  test("junk is refused", () => {
    for (
      const t of [
        "",
        "hello",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        '{"type":"x"}',
      ]
    ) {
      expect(() => web.parseKeyFile(t)).toThrow();
    }
  });
});

describe("a resolution signed the page's way verifies in core", () => {
  test("WebCrypto Ed25519 over the page's signing bytes", async () => {
    const seed = seedOf("alice");
    const doc = web.buildResolution({
      view,
      approver: "alice",
      decision: "approve",
      reason: "ok by me",
      now: FIXTURE.now,
      nonce: new Uint8Array(16).fill(7),
    });
    const bytes = web.signingBytes(doc);
    expect(bytes).toEqual(resolutionSigningBytes(doc as unknown as Resolution));
    const der = web.pkcs8FromSeed(seed) as Uint8Array<ArrayBuffer>;
    const key = await crypto.subtle.importKey("pkcs8", der, "Ed25519", false, ["sign"]);
    const sig = await crypto.subtle.sign("Ed25519", key, bytes as Uint8Array<ArrayBuffer>);
    doc.signature = web.toBase64(new Uint8Array(sig));
    const r = verifyResolution(JSON.stringify(doc), {
      request: { ...FIXTURE.request, state: "pending" },
      approvers: FIXTURE.approvers,
      now: FIXTURE.now,
      skewMs: 60_000,
      nonceUsed: () => false,
    });
    expect(r).toMatchObject({ ok: true });
  });
});

test("the page's embedded assets are current (scripts/gen-inbox-assets.ts)", () => {
  const r = spawnSync(process.execPath, ["scripts/gen-inbox-assets.ts", "--check"], {
    cwd: new URL("../..", import.meta.url).pathname,
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});
