/**
 * Why an action was rejected or failed, as a closed set of stable codes: the
 * `kind` of a govern_result, of an action record, of the HTTP action view and
 * of events. Adding one is a protocol change (docs/protocol.md). Pure data.
 */

/** Kinds shared with the reference implementation. */
export const REFERENCE_KINDS = [
  "policy_denied",
  "approval_denied",
  "approval_timeout",
  "unregistered_tool",
  "unknown_action",
  "precondition_failed",
  "approval_required",
  "execution_failed",
  "internal_error",
] as const;

/** Kinds warrant adds. */
export const WARRANT_KINDS = [
  "budget_exhausted",
  "rate_limited",
  "lease_expired",
  "execution_timeout",
  "outcome_unknown",
  "approval_unverified",
  "store_unavailable",
] as const;

/** Every kind: reference kinds first, then warrant's. */
export const REJECTION_KINDS = [...REFERENCE_KINDS, ...WARRANT_KINDS] as const;

export type ReferenceKind = typeof REFERENCE_KINDS[number];
export type WarrantKind = typeof WARRANT_KINDS[number];
/** The class of a rejection or failure: a closed union. */
export type RejectionKind = typeof REJECTION_KINDS[number];

/**
 * True when `s` is one of the kinds.
 *
 * @example isRejectionKind("rate_limited") // → true
 */
export function isRejectionKind(s: unknown): s is RejectionKind {
  return typeof s === "string" && (REJECTION_KINDS as readonly string[]).includes(s);
}
