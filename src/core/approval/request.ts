/**
 * The approver's side of a request: the resolution template shown to an
 * approver, the exact bytes they sign, and a signer for CLI/tests.
 *
 * A resolution's signed bytes are RESOLUTION_DOMAIN + JCS(the document
 * without `signature`) (SPEC §5). Any JSON spelling of the same document
 * verifies; a different field value does not.
 */
import { encodeBase64 } from "../base64.ts";
import { canonicalBytes } from "../canonical-json.ts";
import { WarrantError } from "../errors.ts";
import { domainBytes, RESOLUTION_DOMAIN, signDomain } from "../signing.ts";
import type { ApprovalRequirement } from "../policy/types.ts";

export const RESOLUTION_TYPE = "warrant.resolution/v1";

/** What the approval core reads of a stored request (ApprovalRequestRecord fits). */
export interface ApprovalRequestView {
  id: string;
  action_id: string;
  action_digest: string;
  requirements: ApprovalRequirement[];
  /** ms since epoch. */
  deadline: number;
  state: "pending" | "approved" | "rejected" | "expired";
}

export type ResolutionDecision = "approve" | "deny";

/** A resolution without its signature: what an approver signs. */
export interface UnsignedResolution {
  type: typeof RESOLUTION_TYPE;
  request_id: string;
  action_id: string;
  action_digest: string;
  decision: ResolutionDecision;
  approver: string;
  /** ISO 8601 UTC, e.g. "2026-11-23T10:00:00Z". */
  issued_at: string;
  expires_at: string;
  /** Base64 of 16 random bytes. */
  nonce: string;
  reason?: string;
}

/** A signed resolution document. */
export interface Resolution extends UnsignedResolution {
  /** Base64 of the 64-byte ed25519 signature. */
  signature: string;
}

/**
 * The template an approver fills in and signs: the request's fields set,
 * the approver's fields as `<placeholders>`. Served by the HTTP endpoint.
 */
export function resolutionTemplate(
  request: Pick<ApprovalRequestView, "id" | "action_id" | "action_digest">,
) {
  return {
    type: RESOLUTION_TYPE,
    request_id: request.id,
    action_id: request.action_id,
    action_digest: request.action_digest,
    decision: "<approve|deny>",
    approver: "<your approver name in the policy>",
    issued_at: "<now, ISO 8601 UTC, e.g. 2026-11-23T10:00:00Z>",
    expires_at: "<issued_at + at most 24h, ISO 8601 UTC>",
    nonce: "<base64 of 16 random bytes>",
    reason: "<optional, at most 1000 characters>",
    signature:
      `<base64 ed25519 signature over "warrant:resolution:v1\\n" + JCS(this document without signature)>`,
  };
}

/**
 * The exact bytes signed for a resolution: RESOLUTION_DOMAIN + JCS(doc
 * without `signature`). Throws canonical_json_invalid for a value JSON cannot
 * carry (e.g. a lone surrogate in `reason`).
 */
export function resolutionSigningBytes(doc: UnsignedResolution | Resolution): Uint8Array {
  return domainBytes(RESOLUTION_DOMAIN, canonicalBytes(withoutSignature(doc)));
}

/** `doc` without its `signature` field (a copy). */
export function withoutSignature(
  doc: Record<string, unknown> | UnsignedResolution,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (k !== "signature") out[k] = v;
  return out;
}

/**
 * ISO 8601 UTC text of a time in ms, seconds precision unless there are
 * milliseconds. Throws invalid_argument for a non-finite time.
 *
 * @example isoUtc(Date.UTC(2026, 10, 23, 10)) // "2026-11-23T10:00:00Z"
 */
export function isoUtc(ms: number): string {
  if (!Number.isFinite(ms)) throw new WarrantError("invalid_argument", `not a time: ${ms}`);
  const s = new Date(ms).toISOString();
  return ms % 1000 === 0 ? s.replace(/\.000Z$/, "Z") : s;
}

/** Inputs of buildResolution(). Times are ms since epoch; the nonce is 16 random bytes. */
export interface BuildResolutionInput {
  request: Pick<ApprovalRequestView, "id" | "action_id" | "action_digest">;
  approver: string;
  decision: ResolutionDecision;
  issuedAt: number;
  expiresAt: number;
  nonce: Uint8Array;
  reason?: string;
}

/**
 * Fill in an unsigned resolution. Throws invalid_argument when the nonce is
 * not 16 bytes or the window is empty.
 */
export function buildResolution(input: BuildResolutionInput): UnsignedResolution {
  if (!(input.nonce instanceof Uint8Array) || input.nonce.length !== 16) {
    throw new WarrantError("invalid_argument", "a resolution nonce must be 16 random bytes");
  }
  if (!(input.expiresAt > input.issuedAt)) {
    throw new WarrantError("invalid_argument", "a resolution must expire after it is issued");
  }
  const doc: UnsignedResolution = {
    type: RESOLUTION_TYPE,
    request_id: input.request.id,
    action_id: input.request.action_id,
    action_digest: input.request.action_digest,
    decision: input.decision,
    approver: input.approver,
    issued_at: isoUtc(input.issuedAt),
    expires_at: isoUtc(input.expiresAt),
    nonce: encodeBase64(input.nonce),
  };
  if (input.reason !== undefined) doc.reason = input.reason;
  return doc;
}

/**
 * Sign an unsigned resolution with the approver's 32-byte seed. Throws
 * key_invalid for a bad seed, canonical_json_invalid for unencodable text.
 *
 * @example JSON.stringify(signResolution(buildResolution({...}), seed))
 */
export function signResolution(doc: UnsignedResolution, secret: Uint8Array): Resolution {
  const unsigned = withoutSignature(doc) as unknown as UnsignedResolution;
  const sig = signDomain(RESOLUTION_DOMAIN, canonicalBytes(unsigned), secret);
  return { ...unsigned, signature: encodeBase64(sig) };
}
