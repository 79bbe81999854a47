/**
 * Verifying a signed resolution (SPEC §5). Checks run in a fixed order, the
 * first failure decides the code, and nothing here changes state:
 *
 *  1. size ≤ 8 KiB, strict JSON, strict schema → resolution_schema_invalid,
 *     json_duplicate_key (a truncated or over-long signature is a schema error)
 *  2. the request exists                        → request_not_found
 *  3. the request is still pending              → request_closed
 *  4. the request's deadline has not passed     → request_expired
 *  5. request_id and action_id match            → action_mismatch
 *  6. action_digest matches                     → digest_mismatch
 *  7. approver named in the active policy       → approver_unknown
 *  8. approver holds a role of ANY requirement  → approver_not_eligible
 *  9. issued_at ≤ now + skew                    → resolution_not_yet_valid
 *     expires_at ≥ now − skew                   → resolution_expired
 *     issued_at < expires_at ≤ issued_at + max  → resolution_window_invalid
 * 10. nonce not used before                     → nonce_reused
 * 11. strict ed25519 over RESOLUTION_DOMAIN + JCS(doc without signature),
 *     with the approver's key from the policy  → resolution_signature_invalid
 *
 * Clock skew: RESOLUTION_SKEW_MS = 60 s either way. Longest window:
 * RESOLUTION_MAX_LIFETIME_MS = 24 h unless the caller passes another.
 */
import * as z from "zod/mini";
import { decodeBase64 } from "../base64.ts";
import { parseJsonStrict } from "../canonical-json.ts";
import { isWarrantError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";
import { isStrictPublicKey, verify } from "../ed25519.ts";
import { PUBLIC_KEY_PREFIX } from "../keys.ts";
import { RESOLUTION_TYPE, resolutionSigningBytes } from "./request.ts";
import type { ApprovalRequestView, Resolution } from "./request.ts";
import { approverEntry, isEligibleForAny } from "./quorum.ts";
import type { Approver, Approvers } from "./quorum.ts";
import { zodMessages } from "../zod-messages.ts";

// zod's "mini" build (as app/config.ts): the same checks and messages,
// built at every start ~3x faster than with the classic API.
zodMessages();

export { tallyQuorum } from "./quorum.ts";
export type { Approver, Approvers, QuorumProgress, QuorumTally } from "./quorum.ts";

export const RESOLUTION_MAX_BYTES = 8192;
export const RESOLUTION_SKEW_MS = 60_000;
export const RESOLUTION_MAX_LIFETIME_MS = 24 * 60 * 60 * 1000;

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/**
 * Parse strict ISO 8601 UTC ("2026-11-23T10:00:00Z", optional .mmm) to ms;
 * null for anything else, including impossible dates like Feb 30.
 */
export function parseIsoUtc(text: string): number | null {
  const m = ISO_UTC.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  // Checked by arithmetic, not by a Date round trip (this runs four times per
  // resolution POST). Years 0–99 are refused: Date.UTC reads them as 1900–1999.
  if (
    y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 ||
    s > 59
  ) return null;
  const ms = m[7] ? Number(m[7].padEnd(3, "0")) : 0;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** Days in month `mo` (1–12) of year `y`, proleptic Gregorian (as Date). */
function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

const isoTime = () =>
  z.string().check(z.refine(
    (s) => parseIsoUtc(s) !== null,
    "must be ISO 8601 UTC like 2026-11-23T10:00:00Z",
  ));
const base64Of = (n: number) =>
  z.string().check(z.refine(
    (s) => decodeBase64(s, n) !== null,
    `must be padded base64 of exactly ${n} bytes`,
  ));
const text = (min: number, max: number) =>
  min > 0
    ? z.string().check(z.minLength(min), z.maxLength(max))
    : z.string().check(z.maxLength(max));

const buildResolutionSchema = () =>
  z.strictObject({
    type: z.literal(RESOLUTION_TYPE),
    request_id: text(1, 128),
    action_id: text(1, 128),
    action_digest: z.string().check(
      z.regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" + 64 lowercase hex'),
    ),
    decision: z.enum(["approve", "deny"]),
    approver: text(1, 64),
    issued_at: isoTime(),
    expires_at: isoTime(),
    nonce: base64Of(16),
    reason: z.optional(text(0, 1000)),
    signature: base64Of(64),
  });
let schema: ReturnType<typeof buildResolutionSchema> | undefined;

/**
 * The strict schema of `warrant.resolution/v1`: unknown fields are errors.
 * Built on first use: a gate that is never sent a resolution does not pay
 * for it at start-up (about 1.4 ms of a gate's spawn → ready).
 */
export const resolutionSchema = () => schema ??= buildResolutionSchema();

/** What verifyResolution needs besides the text. */
export interface ResolutionContext {
  /** The stored request (looked up by the URL), a lookup by the document's request_id, or null. */
  request: ApprovalRequestView | null | ((requestId: string) => ApprovalRequestView | null);
  /** Approvers of the ACTIVE policy: name → key and roles. */
  approvers: Approvers;
  /** ms since epoch. */
  now: number;
  /** Allowed clock skew, ms (use RESOLUTION_SKEW_MS). */
  skewMs: number;
  /** Longest expires_at − issued_at, ms (default RESOLUTION_MAX_LIFETIME_MS). */
  maxLifetimeMs?: number;
  nonceUsed: (nonce: string) => boolean;
}

export type VerifyResolutionResult =
  | { ok: true; resolution: Resolution; issuedAt: number; expiresAt: number }
  | { ok: false; code: ErrorCode; message: string };

const fail = (code: ErrorCode, message: string): VerifyResolutionResult => ({
  ok: false,
  code,
  message,
});

/**
 * Parse a resolution's text: size, strict JSON (no duplicate keys), strict
 * schema. Never throws; the codes are those of step 1 above.
 */
export function parseResolution(
  text: string,
): { ok: true; doc: Resolution } | { ok: false; code: ErrorCode; message: string } {
  if (typeof text !== "string" || text.length > RESOLUTION_MAX_BYTES) {
    return {
      ok: false,
      code: "resolution_schema_invalid",
      message: `Resolution rejected: larger than ${RESOLUTION_MAX_BYTES} characters`,
    };
  }
  let raw: unknown;
  try {
    raw = parseJsonStrict(text, 8);
  } catch (e) {
    if (isWarrantError(e, "json_duplicate_key")) {
      return {
        ok: false,
        code: "json_duplicate_key",
        message: `Resolution rejected: ${e.message}`,
      };
    }
    return {
      ok: false,
      code: "resolution_schema_invalid",
      message: `Resolution rejected: ${e instanceof Error ? e.message : e}`,
    };
  }
  const parsed = resolutionSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join(".") : "(document)";
    return {
      ok: false,
      code: "resolution_schema_invalid",
      message:
        `Resolution rejected: ${where}: ${issue.message}; fill in the template from GET /v1/approvals/:request_id`,
    };
  }
  return { ok: true, doc: parsed.data as Resolution };
}

/**
 * True when `doc`'s signature verifies (strict ed25519 over RESOLUTION_DOMAIN
 * + JCS of the document without signature) with `approver`'s key. Never throws.
 */
export function resolutionSignatureValid(doc: Resolution, approver: Approver): boolean {
  const keyText = typeof approver.key === "string" ? approver.key : null;
  const pub = keyText === null ? approver.key as Uint8Array : keyBytesOf(keyText);
  const sig = decodeBase64(doc.signature, 64);
  try {
    return pub !== null && sig !== null && isStrictPublicKey(pub) &&
      verify(sig, resolutionSigningBytes(doc), pub);
  } catch {
    return false;
  }
}

const keyBytes = new Map<string, Uint8Array | null>();

/** The 32 bytes of an "ed25519:BASE64" key, or null; remembered (a policy has few approvers). */
function keyBytesOf(keyText: string): Uint8Array | null {
  let b = keyBytes.get(keyText);
  if (b === undefined) {
    b = keyText.startsWith(PUBLIC_KEY_PREFIX)
      ? decodeBase64(keyText.slice(PUBLIC_KEY_PREFIX.length), 32)
      : null;
    if (keyBytes.size >= 1024) keyBytes.clear();
    keyBytes.set(keyText, b);
  }
  return b;
}

/**
 * Verify a resolution document's text against a request and the active
 * policy's approvers, in the order of the module comment. Never throws:
 * every failure is `{ ok: false, code, message }` with a message saying what
 * failed, expected vs actual, and the fix.
 */
export function verifyResolution(text: string, ctx: ResolutionContext): VerifyResolutionResult {
  return verifyParsedResolution(parseResolution(text), ctx);
}

/** verifyResolution after the parse: `p` is parseResolution's answer for the text. */
export function verifyParsedResolution(
  p: ReturnType<typeof parseResolution>,
  ctx: ResolutionContext,
): VerifyResolutionResult {
  if (!p.ok) return p;
  const doc = p.doc;

  const request = typeof ctx.request === "function" ? ctx.request(doc.request_id) : ctx.request;
  if (!request) {
    return fail(
      "request_not_found",
      `Resolution rejected: no approval request "${doc.request_id}"`,
    );
  }
  if (request.state !== "pending") {
    return fail(
      "request_closed",
      `Resolution rejected: request ${request.id} is already ${request.state}`,
    );
  }
  if (ctx.now > request.deadline) {
    return fail(
      "request_expired",
      `Resolution rejected: request ${request.id} expired at ${
        new Date(request.deadline).toISOString()
      }`,
    );
  }
  if (doc.request_id !== request.id || doc.action_id !== request.action_id) {
    return fail(
      "action_mismatch",
      `Resolution rejected: it names request ${doc.request_id} / action ${doc.action_id}, expected ` +
        `request ${request.id} / action ${request.action_id}; sign the template of this request`,
    );
  }
  if (doc.action_digest !== request.action_digest) {
    return fail(
      "digest_mismatch",
      `Resolution rejected: action_digest ${doc.action_digest} differs from the request's ` +
        `${request.action_digest}; the action you reviewed is not this one — fetch the request again`,
    );
  }
  const approver = approverEntry(ctx.approvers, doc.approver);
  if (!approver) {
    return fail(
      "approver_unknown",
      `Resolution rejected: "${doc.approver}" is not an approver in the active policy`,
    );
  }
  if (!isEligibleForAny(approver, request.requirements)) {
    const wanted = [...new Set(request.requirements.flatMap((r) => r.roles))].join(", ");
    return fail(
      "approver_not_eligible",
      `Resolution rejected: "${doc.approver}" has roles [${approver.roles.join(", ")}], ` +
        `this request needs one of [${wanted}]`,
    );
  }
  const issuedAt = parseIsoUtc(doc.issued_at)!;
  const expiresAt = parseIsoUtc(doc.expires_at)!;
  const now = ctx.now;
  const maxLife = ctx.maxLifetimeMs ?? RESOLUTION_MAX_LIFETIME_MS;
  if (issuedAt > now + ctx.skewMs) {
    return fail(
      "resolution_not_yet_valid",
      `Resolution rejected: issued_at ${doc.issued_at} is in the future (now ${
        new Date(now).toISOString()
      }, ` +
        `skew ${ctx.skewMs / 1000}s); check the approver's clock`,
    );
  }
  if (expiresAt < now - ctx.skewMs) {
    return fail(
      "resolution_expired",
      `Resolution rejected: expired at ${doc.expires_at} (now ${
        new Date(now).toISOString()
      }); sign a new one`,
    );
  }
  if (expiresAt <= issuedAt || expiresAt - issuedAt > maxLife) {
    return fail(
      "resolution_window_invalid",
      `Resolution rejected: window ${doc.issued_at} → ${doc.expires_at} must be non-empty and at most ` +
        `${maxLife / 60_000} minutes`,
    );
  }
  if (ctx.nonceUsed(doc.nonce)) {
    return fail(
      "nonce_reused",
      `Resolution rejected: nonce ${doc.nonce} was already used; sign with a fresh nonce`,
    );
  }
  const ok = resolutionSignatureValid(doc, approver);
  if (!ok) {
    return fail(
      "resolution_signature_invalid",
      `Resolution rejected: the signature does not verify with ${doc.approver}'s key in the active policy ` +
        `(strict ed25519 over "warrant:resolution:v1\\n" + JCS of the document without signature); ` +
        `re-sign the exact document with that key`,
    );
  }
  return { ok: true, resolution: doc, issuedAt, expiresAt };
}
