/**
 * Synchronous AES-256-GCM through node:crypto (available in Bun and Deno).
 *
 * Why not WebCrypto: `crypto.subtle` is async-only, and the store API is
 * synchronous on purpose (app/ports/store.ts) so that evaluate + record counters +
 * record the decision run in one transaction that nothing else on the event
 * loop can interleave with. Encrypting a payload inside that transaction
 * therefore needs a synchronous cipher.
 */
import { Buffer } from "node:buffer";
import { nodeCrypto } from "./builtins.ts";
import type { Aead } from "../app/ports/aead.ts";

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a fresh random 12-byte IV per message. Sealed layout:
 * `iv (12) || ciphertext || tag (16)`. `open` throws on a wrong key, a wrong
 * `aad` or any tampered byte (the caller maps that to payload_decrypt_failed).
 *
 * @example const sealed = nodeAead.seal(key, bytes, aad); nodeAead.open(key, sealed, aad) // → bytes
 */
export const nodeAead: Aead = {
  seal(key, plaintext, aad) {
    const { createCipheriv, randomBytes } = nodeCrypto();
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    c.setAAD(aad);
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    const out = new Uint8Array(IV_BYTES + body.length + TAG_BYTES);
    out.set(iv, 0);
    out.set(body, IV_BYTES);
    out.set(c.getAuthTag(), IV_BYTES + body.length);
    return out;
  },
  open(key, sealed, aad) {
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error("sealed payload too short");
    const iv = sealed.subarray(0, IV_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const body = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
    const d = nodeCrypto().createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const out = Buffer.concat([d.update(body), d.final()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  },
};
