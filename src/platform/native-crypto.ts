/**
 * Native hashing and Ed25519 verification through node:crypto (Bun and Deno
 * both provide it), installed into core by the composition root: the audit
 * chain hashes every event and the approval endpoint verifies every POST,
 * and the pure implementations cost ~10× (hashes) to ~40× (Ed25519) more.
 * Core keeps the strict checks and decides what a native answer means
 * (core/ed25519.ts); these functions only compute.
 */
import { Buffer } from "node:buffer";
import type { KeyObject } from "node:crypto";
import { nodeCrypto } from "./builtins.ts";
import type { NativeHashes } from "../core/digest.ts";
import type { NativeVerify } from "../core/ed25519.ts";

/** SPKI DER prefix of a raw 32-byte Ed25519 public key (RFC 8410). */
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

const keys = new Map<string, KeyObject>();

/** The KeyObject of a raw public key, kept (approvers and signers are few). */
function keyObject(pub: Uint8Array): KeyObject {
  const id = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString("base64");
  let k = keys.get(id);
  if (!k) {
    k = nodeCrypto().createPublicKey({
      key: Buffer.concat([SPKI_ED25519, pub]),
      format: "der",
      type: "spki",
    });
    if (keys.size >= 1024) keys.clear();
    keys.set(id, k);
  }
  return k;
}

/**
 * node:crypto Ed25519 verification of a 64-byte signature with a raw 32-byte
 * key. Throws when the key is not a point; core treats that as "no".
 */
export const nodeEd25519Verify: NativeVerify = (sig, msg, pub) =>
  nodeCrypto().verify(null, msg, keyObject(pub), sig);

/** SHA-256 and HMAC-SHA256 through node:crypto. */
export const nodeHashes: NativeHashes = {
  sha256Hex: (data) => nodeCrypto().createHash("sha256").update(data).digest("hex"),
  sha256: (data) => new Uint8Array(nodeCrypto().createHash("sha256").update(data).digest()),
  hmacSha256: (key, data) =>
    new Uint8Array(nodeCrypto().createHmac("sha256", key).update(data).digest()),
};
