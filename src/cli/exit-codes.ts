/**
 * Exit codes (0 ok, 1 error, 2 usage, 3 not found, 4 rejected/denied,
 * 5 still pending) and the one table mapping every error code to one. The
 * table is a `Record<ErrorCode, ExitCode>`: a new error code does not compile
 * until it has an exit code.
 */
import type { ErrorCode } from "../core/errors.ts";

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  not_found: 3,
  rejected: 4,
  pending: 5,
} as const;

export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** The exit code of a failed verb, by its error code. */
export const EXIT_FOR_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  internal_error: EXIT.error,
  invalid_argument: EXIT.error,
  not_found: EXIT.not_found,
  canonical_json_invalid: EXIT.error,
  json_invalid: EXIT.error,
  json_duplicate_key: EXIT.error,
  key_invalid: EXIT.error,
  key_file_invalid: EXIT.error,
  signature_invalid: EXIT.error,
  config_not_found: EXIT.not_found,
  config_invalid: EXIT.error,
  policy_not_found: EXIT.not_found,
  policy_json_invalid: EXIT.error,
  policy_schema_invalid: EXIT.error,
  policy_pattern_unsafe: EXIT.error,
  policy_signature_missing: EXIT.error,
  policy_signature_malformed: EXIT.error,
  policy_signature_invalid: EXIT.error,
  policy_digest_mismatch: EXIT.error,
  policy_signer_unknown: EXIT.error,
  policy_threshold_not_met: EXIT.error,
  policy_rollback: EXIT.error,
  policy_expired: EXIT.error,
  policy_unsigned_refused: EXIT.error,
  store_open_failed: EXIT.error,
  store_corrupt: EXIT.error,
  store_busy: EXIT.error,
  illegal_transition: EXIT.error,
  payload_key_missing: EXIT.error,
  payload_decrypt_failed: EXIT.error,
  audit_chain_broken: EXIT.error,
  store_rolled_back: EXIT.error,
  checkpoint_invalid: EXIT.error,
  data_key_mismatch: EXIT.error,
  store_unavailable: EXIT.error,
  resolution_schema_invalid: EXIT.error,
  resolution_duplicate_key: EXIT.error,
  request_not_found: EXIT.not_found,
  request_closed: EXIT.rejected, // the request is no longer open
  action_mismatch: EXIT.error,
  digest_mismatch: EXIT.error,
  approver_unknown: EXIT.error,
  approver_not_eligible: EXIT.error,
  resolution_not_yet_valid: EXIT.error,
  resolution_expired: EXIT.error,
  resolution_window_invalid: EXIT.error,
  nonce_reused: EXIT.error,
  resolution_signature_invalid: EXIT.error,
  request_expired: EXIT.error,
  approval_unverified: EXIT.error,
};
