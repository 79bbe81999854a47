/**
 * Domain-separated signatures. Every warrant signature is over
 * `DOMAIN + bytes`, so a signature made for one purpose (a policy) can never
 * be replayed as another (a resolution). The tags live here and only here.
 */
import { concatBytes } from "./base64.ts";
import { sign, verify } from "./ed25519.ts";

/** Prefix of the signed bytes of a policy file (SPEC §4). */
export const POLICY_DOMAIN = "warrant:policy:v1\n";
/** Prefix of the signed bytes of a resolution (SPEC §5). */
export const RESOLUTION_DOMAIN = "warrant:resolution:v1\n";
/**
 * Prefix of the signed bytes of a release's SHA256SUMS file. A plain
 * ed25519 signature, so `openssl pkeyutl -verify -rawin` can check it too
 * (README "Install on a server").
 */
export const RELEASE_DOMAIN = "warrant:release:v1\n";
/** Prefix of the signed bytes of an audit checkpoint written to the witness (issue 9). */
export const CHECKPOINT_DOMAIN = "warrant:checkpoint:v1\n";

/** One of the domain tags above. */
export type SigningDomain =
  | typeof POLICY_DOMAIN
  | typeof RESOLUTION_DOMAIN
  | typeof RELEASE_DOMAIN
  | typeof CHECKPOINT_DOMAIN;

/** The exact bytes signed for `bytes` in `domain`: UTF-8(domain) ‖ bytes. */
export function domainBytes(domain: SigningDomain, bytes: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode(domain), bytes);
}

/**
 * Sign `bytes` in `domain` with a 32-byte seed; returns the 64-byte signature.
 * Throws key_invalid for a bad seed.
 *
 * @example verifyDomain(POLICY_DOMAIN, b, signDomain(POLICY_DOMAIN, b, seed), pub) // true
 */
export function signDomain(
  domain: SigningDomain,
  bytes: Uint8Array,
  secret: Uint8Array,
): Uint8Array {
  return sign(secret, domainBytes(domain, bytes));
}

/**
 * Strictly verify a signature over `domain + bytes`. Returns false (never
 * throws) for any bad input; see ed25519.ts for what "strict" rejects.
 */
export function verifyDomain(
  domain: SigningDomain,
  bytes: Uint8Array,
  sig: Uint8Array,
  pub: Uint8Array,
): boolean {
  return verify(sig, domainBytes(domain, bytes), pub);
}
