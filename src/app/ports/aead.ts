/**
 * The Aead port: a synchronous authenticated cipher for payloads at rest.
 * Synchronous because the store API is (see store.ts). Adapter:
 * platform/aead.ts (AES-256-GCM through node:crypto).
 */

/** A synchronous AEAD (see platform/aead.ts for the AES-256-GCM one). */
export interface Aead {
  /** Encrypt and authenticate; the result carries its own nonce. */
  seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Decrypt; throws on any authentication failure. */
  open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}
