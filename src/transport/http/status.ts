/**
 * The HTTP face's one error-mapping table: every error code to a status.
 */
import type { ErrorCode } from "../../core/errors.ts";

/** Codes only the HTTP face produces. */
export type HttpOnlyCode =
  | "unauthorized"
  | "rate_limited"
  | "payload_too_large"
  | "headers_too_large"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "too_many_replays";
export type HttpCode = ErrorCode | HttpOnlyCode;

/**
 * Every code → HTTP status. Exhaustive on purpose: adding an ErrorCode does
 * not compile until it gets a status here. Anything a client can send maps
 * to a 4xx; the few 5xx are server-side states no request can cause.
 */
export const HTTP_STATUS: Record<HttpCode, number> = {
  internal_error: 500,
  invalid_argument: 400,
  not_found: 404,
  canonical_json_invalid: 400,
  json_invalid: 400,
  json_duplicate_key: 400,
  key_invalid: 400,
  key_file_invalid: 400,
  signature_invalid: 403,
  config_not_found: 500,
  config_invalid: 500,
  policy_not_found: 503,
  policy_json_invalid: 503,
  policy_schema_invalid: 503,
  policy_pattern_unsafe: 503,
  policy_signature_missing: 503,
  policy_signature_malformed: 503,
  policy_signature_invalid: 503,
  policy_digest_mismatch: 503,
  policy_signer_unknown: 503,
  policy_threshold_not_met: 503,
  policy_rollback: 503,
  policy_expired: 503,
  policy_unsigned_refused: 503,
  store_open_failed: 503,
  store_corrupt: 500,
  store_busy: 503,
  illegal_transition: 409,
  payload_key_missing: 500,
  payload_decrypt_failed: 500,
  audit_chain_broken: 500,
  store_rolled_back: 503,
  checkpoint_invalid: 500,
  data_key_mismatch: 500,
  store_unavailable: 503,
  resolution_schema_invalid: 400,
  resolution_duplicate_key: 400,
  request_not_found: 404,
  request_closed: 409,
  action_mismatch: 409,
  digest_mismatch: 409,
  approver_unknown: 403,
  approver_not_eligible: 403,
  resolution_not_yet_valid: 422,
  resolution_expired: 422,
  resolution_window_invalid: 422,
  nonce_reused: 409,
  resolution_signature_invalid: 403,
  request_expired: 410,
  approval_unverified: 409,
  unauthorized: 401,
  rate_limited: 429,
  payload_too_large: 413,
  headers_too_large: 431,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  too_many_replays: 503,
};
