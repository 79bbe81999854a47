/**
 * An approver's signer INDEPENDENT of src/: @noble/ed25519 directly and a
 * local JCS for the flat resolution document, so the HTTP tests do not trust
 * the code they test to produce what it then verifies.
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { readFileSync } from "node:fs";

ed.hashes.sha512 = sha512;

const enc = new TextEncoder();
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

const seeds = JSON.parse(
  readFileSync(new URL("../fixtures/keys/test-seeds.json", import.meta.url), "utf8"),
).seeds as Record<string, string>;

/** The TEST-ONLY seed of a named key (alice, bob, carol, dave, ops). */
export function seedOf(name: string): Uint8Array {
  const hex = seeds[name];
  if (!hex) throw new Error(`no test seed ${name}`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** "ed25519:BASE64" public key of a named test key. */
export function publicKeyOf(name: string): string {
  return `ed25519:${b64(ed.getPublicKey(seedOf(name)))}`;
}

/** Local JCS for flat string maps (all a resolution is). */
export function jcsFlat(doc: Record<string, string>): string {
  return `{${
    Object.keys(doc).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(doc[k])}`).join(",")
  }}`;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
let counter = 0;

export interface ResolutionFor {
  request_id: string;
  action_id: string;
  action_digest: string;
}

/** A signed resolution document (as an object) by `approver` (signing with `signer`'s key). */
export function signedResolution(
  req: ResolutionFor,
  approver: string,
  opts: {
    decision?: "approve" | "deny";
    signer?: string;
    now?: number;
    ttlMs?: number;
    nonce?: string;
    reason?: string;
    domain?: string;
  } = {},
): Record<string, string> {
  const now = opts.now ?? Date.now();
  const nonce = new Uint8Array(16);
  crypto.getRandomValues(nonce);
  nonce[15] = ++counter & 0xff;
  const doc: Record<string, string> = {
    type: "warrant.resolution/v1",
    request_id: req.request_id,
    action_id: req.action_id,
    action_digest: req.action_digest,
    decision: opts.decision ?? "approve",
    approver,
    issued_at: iso(now - 1000),
    expires_at: iso(now + (opts.ttlMs ?? 10 * 60_000)),
    nonce: opts.nonce ?? b64(nonce),
  };
  if (opts.reason !== undefined) doc.reason = opts.reason;
  const msg = enc.encode((opts.domain ?? "warrant:resolution:v1\n") + jcsFlat(doc));
  return { ...doc, signature: b64(ed.sign(msg, seedOf(opts.signer ?? approver))) };
}
