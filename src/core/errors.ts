/**
 * Stable error codes. Codes are API: transports map them in one table each
 * (stdio kinds, HTTP statuses, CLI exit codes). Never rename one.
 */
export const ERROR_CODES = [
  // generic
  "internal_error",
  "invalid_argument",
  "not_found",
  // canonical JSON / keys / signatures
  "canonical_json_invalid",
  "json_invalid",
  "json_duplicate_key",
  "key_invalid",
  "key_file_invalid",
  "signature_invalid",
  // config
  "config_not_found",
  "config_invalid",
  // policies
  "policy_not_found",
  "policy_json_invalid",
  "policy_schema_invalid",
  "policy_pattern_unsafe",
  "policy_signature_missing",
  "policy_signature_malformed",
  "policy_signature_invalid",
  "policy_digest_mismatch",
  "policy_signer_unknown",
  "policy_threshold_not_met",
  "policy_rollback",
  "policy_expired",
  "policy_unsigned_refused",
  // store
  "store_open_failed",
  "store_corrupt",
  "store_busy",
  "illegal_transition",
  "payload_key_missing",
  "payload_decrypt_failed",
  "audit_chain_broken",
  "store_rolled_back",
  "checkpoint_invalid",
  "data_key_mismatch",
  "store_unavailable",
  // approvals / resolutions
  "resolution_schema_invalid",
  "resolution_duplicate_key",
  "request_not_found",
  "request_closed",
  "action_mismatch",
  "digest_mismatch",
  "approver_unknown",
  "approver_not_eligible",
  "resolution_not_yet_valid",
  "resolution_expired",
  "resolution_window_invalid",
  "nonce_reused",
  "resolution_signature_invalid",
  "request_expired",
  "approval_unverified",
] as const;

export type ErrorCode = typeof ERROR_CODES[number];

/**
 * The one error type warrant throws on purpose. `code` is stable and
 * machine-readable; `message` says what failed, expected vs actual, and the fix.
 *
 * @example
 * throw new WarrantError("policy_rollback",
 *   `Cannot load policies/acme.policy.json: version 6 is older than accepted version 7; ` +
 *   `publish a policy with version > 7`);
 */
export class WarrantError extends Error {
  override readonly name = "WarrantError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** True when `e` is a WarrantError, optionally with the given code. */
export function isWarrantError(e: unknown, code?: ErrorCode): e is WarrantError {
  return e instanceof WarrantError && (code === undefined || e.code === code);
}

/** Result form of a fallible call, for callers that prefer values to throws. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: WarrantError };

/** Run `fn`, turning a thrown WarrantError into `{ ok: false }`; other throws propagate. */
export function attempt<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof WarrantError) return { ok: false, error: e };
    throw e;
  }
}

/** Wrap anything thrown into a WarrantError (unknown errors become internal_error). */
export function toWarrantError(e: unknown): WarrantError {
  if (e instanceof WarrantError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new WarrantError("internal_error", msg);
}
