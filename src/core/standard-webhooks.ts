/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): the
 * sender signs `${webhook-id}.${webhook-timestamp}.${body}` with
 * HMAC-SHA256 under the shared secret, and sends
 *
 *   webhook-id: <unique per message, the same on every retry>
 *   webhook-timestamp: <unix seconds of this attempt>
 *   webhook-signature: v1,<base64 of the 32-byte MAC>
 *
 * The secret is written `whsec_` + base64 of its bytes (what receivers'
 * libraries take as is).
 *
 * @example webhookSignature(parseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "msg_1", 1700000000, "{}")
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { WarrantError } from "./errors.ts";

export const WEBHOOK_SECRET_PREFIX = "whsec_";

/**
 * The key bytes of a `whsec_BASE64` secret (at least 16 bytes). Throws
 * WarrantError("config_invalid") saying what is wrong; never echoes the secret.
 */
export function parseWebhookSecret(text: string): Uint8Array {
  const t = typeof text === "string" ? text.trim() : "";
  const key = t.startsWith(WEBHOOK_SECRET_PREFIX)
    ? decodeBase64(t.slice(WEBHOOK_SECRET_PREFIX.length))
    : null;
  if (!key || key.length < 16) {
    throw new WarrantError(
      "config_invalid",
      `The webhook secret must be "${WEBHOOK_SECRET_PREFIX}" followed by the padded base64 of ` +
        `at least 16 random bytes (e.g. "${WEBHOOK_SECRET_PREFIX}$(openssl rand -base64 32)")`,
    );
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`. */
export function webhookSignature(
  key: Uint8Array,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const mac = hmac(sha256, key, new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${encodeBase64(mac)}`;
}
