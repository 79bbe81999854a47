/**
 * SHA-256 helpers and the approval `action_digest` (SPEC §5).
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { encodeHex } from "./base64.ts";
import { canonicalBytes, canonicalize } from "./canonical-json.ts";

/**
 * A runtime's native SHA-256 / HMAC-SHA256 (node:crypto in Bun and Deno),
 * installed by the composition root. The audit chain hashes every event, so
 * this is on the decision path: native hashing is ~10× cheaper than the pure
 * one. Same function, same bytes out (test/core/crypto/native-crypto.test.ts);
 * without it (unit tests, the browser bundle) the pure @noble/hashes run.
 */
export interface NativeHashes {
  /** SHA-256 of bytes or of a string's UTF-8 bytes, as lowercase hex. */
  sha256Hex(data: Uint8Array | string): string;
  /** SHA-256 of bytes (32 bytes). */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA256(key, data) (32 bytes). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
}

const utf8 = new TextEncoder();

const PURE: NativeHashes = {
  sha256Hex: (data) => encodeHex(sha256(typeof data === "string" ? utf8.encode(data) : data)),
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
};

let hashes: NativeHashes = PURE;

/** Use `native` for every hash below (null: back to the pure implementation). */
export function useNativeHashes(native: NativeHashes | null): void {
  hashes = native ?? PURE;
}

/** SHA-256 of `bytes` (32 bytes). */
export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return hashes.sha256(bytes);
}

/**
 * Lowercase hex SHA-256 of bytes, or of a string's UTF-8 bytes.
 *
 * @example sha256Hex("abc") // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 */
export function sha256Hex(data: Uint8Array | string): string {
  return hashes.sha256Hex(data);
}

/**
 * "sha256:" + hex SHA-256 of the RFC 8785 canonical JSON of `value`. Fails
 * like canonicalize() (canonical_json_invalid).
 *
 * @example jsonDigest({ b: 1, a: 2 }) === jsonDigest({ a: 2, b: 1 }) // true
 */
export function jsonDigest(value: unknown): string {
  return `sha256:${hashes.sha256Hex(canonicalize(value))}`;
}

/** What an action_digest commits to (SPEC §5). */
export interface ActionDigestInput {
  action_id: string;
  session_id: string;
  tool: string;
  args: Record<string, unknown>;
  policy: { id: string; version: number };
  /**
   * The request's random salt (base64 of 16 bytes), shown to approvers with
   * the arguments: without it the digest of small arguments could be
   * inverted by trying values. Requests made before salts have none.
   */
  salt?: string | null;
}

/**
 * The approval request's `action_digest`:
 * "sha256:" + hex(sha256(JCS({action_id, session_id, tool, args, policy: {id, version}, salt}))),
 * `salt` included when the request has one. Only those fields are hashed,
 * whatever else `input` carries. The one definition: the gate, the CLI
 * approver and the inbox page all compute it this way. Throws
 * canonical_json_invalid when args hold a value JSON cannot carry.
 *
 * @example actionDigest({ action_id: "act_1", session_id: "ses_1", tool: "pay",
 *   args: { amount: 5 }, policy: { id: "acme", version: 7 } }) // "sha256:…"
 */
export function actionDigest(input: ActionDigestInput): string {
  return jsonDigest({
    action_id: input.action_id,
    session_id: input.session_id,
    tool: input.tool,
    args: input.args,
    policy: { id: input.policy.id, version: input.policy.version },
    ...(input.salt ? { salt: input.salt } : {}),
  });
}

/**
 * A keyed digest of a JSON value: "hmac-sha256:" + hex(HMAC-SHA256(key,
 * JCS(value))). What the store records for arguments, outputs and tool text
 * when encryption at rest is on: without the key, nobody can test guesses
 * against it. Fails like canonicalize().
 *
 * @example keyedDigest(new Uint8Array(32), { a: 1 }) // "hmac-sha256:…"
 */
export function keyedDigest(key: Uint8Array, value: unknown): string {
  return `hmac-sha256:${encodeHex(hashes.hmacSha256(key, canonicalBytes(value)))}`;
}
