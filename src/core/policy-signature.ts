/**
 * Detached policy signatures (SPEC §4): `NAME.policy.json.sig` holds
 *
 * ```json
 * {"type":"warrant.signature/v1","sha256":"HEX","signatures":[{"signer":"ops","sig":"BASE64"}]}
 * ```
 *
 * Each `sig` is ed25519 over POLICY_DOMAIN + the exact policy file bytes.
 * Verification works on the bytes, before anything parses the policy.
 *
 * Rules, in order (each with its own code):
 * 1. the .sig text parses strictly (no duplicate keys, no unknown fields, one
 *    entry per signer) — else policy_signature_malformed;
 * 2. sha256 of the file equals the signed `sha256` — else policy_digest_mismatch;
 * 3. for each entry, the signer id is looked up first (minisign style):
 *    an unconfigured id is set aside as unknown (a warning, not an error);
 *    a configured signer's signature must verify — else policy_signature_invalid
 *    (fail closed: a bad signature by a trusted id means tampering or a wrong key);
 * 4. at least `threshold` distinct configured signers (distinct ids and keys)
 *    verify — else policy_signer_unknown when unknown signers were present
 *    (the fix is to configure them), policy_threshold_not_met otherwise.
 */
import { decodeBase64, encodeBase64, encodeHex } from "./base64.ts";
import { parseJsonStrict } from "./canonical-json.ts";
import { sha256Bytes } from "./digest.ts";
import { WarrantError } from "./errors.ts";
import { formatPublicKey, isValidKeyId, parsePublicKey } from "./keys.ts";
import { POLICY_DOMAIN, signDomain, verifyDomain } from "./signing.ts";

export const SIGNATURE_TYPE = "warrant.signature/v1";
/** Most entries one .sig file may hold. */
export const MAX_SIGNATURES = 32;

/** One signer's entry in a .sig file. */
export interface SignatureEntry {
  signer: string;
  /** Base64 of the 64-byte signature. */
  sig: string;
}

/** A parsed `.sig` document. */
export interface SignatureDoc {
  type: typeof SIGNATURE_TYPE;
  /** Lowercase hex sha256 of the signed file bytes. */
  sha256: string;
  signatures: SignatureEntry[];
}

/** A configured policy signer (config `trust.policy_signers`). */
export interface PolicySigner {
  id: string;
  /** `ed25519:BASE64` or an SPKI PEM. */
  public_key: string;
}

function malformed(file: string, why: string): never {
  throw new WarrantError(
    "policy_signature_malformed",
    `Cannot load ${file}: signature file ${file}.sig is malformed (${why}); ` +
      `delete it and re-sign with warrant policy sign ${file} --key KEY`,
    { file },
  );
}

/**
 * Parse a `.sig` document strictly. Throws policy_signature_malformed naming
 * `file` and what is wrong.
 */
export function parseSignatureDoc(text: string, file: string): SignatureDoc {
  let doc: unknown;
  try {
    doc = parseJsonStrict(text);
  } catch (e) {
    malformed(file, e instanceof Error ? e.message : String(e));
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    malformed(file, "not an object");
  }
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) {
    if (k !== "type" && k !== "sha256" && k !== "signatures") {
      malformed(file, `unknown field "${k}"`);
    }
  }
  if (d.type !== SIGNATURE_TYPE) malformed(file, `"type" must be "${SIGNATURE_TYPE}"`);
  if (typeof d.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(d.sha256)) {
    malformed(file, `"sha256" must be 64 lowercase hex characters`);
  }
  if (!Array.isArray(d.signatures) || d.signatures.length === 0) {
    malformed(file, `"signatures" must be a non-empty array`);
  }
  if (d.signatures.length > MAX_SIGNATURES) {
    malformed(file, `more than ${MAX_SIGNATURES} signatures`);
  }
  const seen = new Set<string>();
  const signatures: SignatureEntry[] = d.signatures.map((e: unknown, i: number) => {
    if (typeof e !== "object" || e === null || Array.isArray(e)) {
      malformed(file, `signatures[${i}] is not an object`);
    }
    const s = e as Record<string, unknown>;
    for (const k of Object.keys(s)) {
      if (k !== "signer" && k !== "sig") {
        malformed(file, `signatures[${i}] has unknown field "${k}"`);
      }
    }
    if (typeof s.signer !== "string" || !isValidKeyId(s.signer)) {
      malformed(file, `signatures[${i}].signer is not a valid id`);
    }
    if (typeof s.sig !== "string" || !decodeBase64(s.sig, 64)) {
      malformed(file, `signatures[${i}].sig is not the padded base64 of 64 bytes`);
    }
    if (seen.has(s.signer)) malformed(file, `signer "${s.signer}" appears twice`);
    seen.add(s.signer);
    return { signer: s.signer, sig: s.sig };
  });
  return { type: SIGNATURE_TYPE, sha256: d.sha256, signatures };
}

/** The text of a .sig document: pretty JSON, entries sorted by signer, trailing newline. */
export function formatSignatureDoc(doc: SignatureDoc): string {
  const signatures = [...doc.signatures].sort((
    a,
    b,
  ) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0));
  return JSON.stringify({ type: doc.type, sha256: doc.sha256, signatures }, null, 2) + "\n";
}

/**
 * Sign policy file bytes as `signerId`, adding to (or replacing this signer's
 * entry in) `existingSig` when it signs the same bytes. Entries of an
 * existing .sig for different bytes are stale and dropped (compare the
 * returned doc's signers to report them). Throws policy_signature_malformed
 * when `existingSig` does not parse, key_invalid for a bad seed,
 * invalid_argument for a bad id.
 *
 * @example formatSignatureDoc(signPolicyBytes(bytes, "ops", seed))
 */
export function signPolicyBytes(
  fileBytes: Uint8Array,
  signerId: string,
  secret: Uint8Array,
  existingSig?: string | null,
  file = "policy",
): SignatureDoc {
  if (!isValidKeyId(signerId)) {
    throw new WarrantError(
      "invalid_argument",
      `Invalid signer id ${JSON.stringify(signerId)}: use 1-64 characters of A-Z a-z 0-9 . _ @ -`,
    );
  }
  const sha256 = encodeHex(sha256Bytes(fileBytes));
  const sig = encodeBase64(signDomain(POLICY_DOMAIN, fileBytes, secret));
  let others: SignatureEntry[] = [];
  if (existingSig !== undefined && existingSig !== null) {
    const prev = parseSignatureDoc(existingSig, file);
    if (prev.sha256 === sha256) others = prev.signatures.filter((e) => e.signer !== signerId);
  }
  return { type: SIGNATURE_TYPE, sha256, signatures: [...others, { signer: signerId, sig }] };
}

/** What verifyPolicySignature needs. */
export interface VerifyPolicyInput {
  /** The policy file path, for messages. */
  file: string;
  /** The exact policy file bytes. */
  bytes: Uint8Array;
  /** The .sig text, or null when there is no .sig file. */
  sigText: string | null;
  signers: PolicySigner[];
  /** Distinct configured signers that must verify (≥ 1). */
  threshold: number;
}

/** A successful verification. */
export interface VerifiedPolicy {
  /** Hex sha256 of the file bytes. */
  sha256: string;
  /** Ids of the configured signers whose signatures verified. */
  signers: string[];
  /** E.g. signatures by unconfigured ids that were ignored. */
  warnings: string[];
}

/**
 * Verify a policy file's bytes against its .sig text (rules in the module
 * comment). Throws WarrantError: policy_signature_missing (sigText null),
 * policy_signature_malformed, policy_digest_mismatch,
 * policy_signature_invalid, policy_signer_unknown, policy_threshold_not_met;
 * invalid_argument / key_invalid for a bad threshold or configured key.
 */
export function verifyPolicySignature(input: VerifyPolicyInput): VerifiedPolicy {
  const { file, bytes, sigText, signers, threshold } = input;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new WarrantError(
      "invalid_argument",
      `policy_threshold must be an integer ≥ 1, got ${threshold}`,
    );
  }
  const trusted = new Map<string, Uint8Array>();
  for (const s of signers) {
    if (trusted.has(s.id)) {
      throw new WarrantError(
        "invalid_argument",
        `policy signer "${s.id}" is configured twice; keep one entry`,
      );
    }
    try {
      trusted.set(s.id, parsePublicKey(s.public_key));
    } catch (e) {
      throw new WarrantError(
        "key_invalid",
        `policy signer "${s.id}": ${e instanceof Error ? e.message : e}`,
      );
    }
  }
  if (sigText === null) {
    throw new WarrantError(
      "policy_signature_missing",
      `Cannot load ${file}: no signature file ${file}.sig; sign it with warrant policy sign ${file} --key KEY`,
      { file },
    );
  }
  const doc = parseSignatureDoc(sigText, file);
  const sha256 = encodeHex(sha256Bytes(bytes));
  if (sha256 !== doc.sha256) {
    throw new WarrantError(
      "policy_digest_mismatch",
      `Cannot load ${file}: file sha256 ${sha256} differs from the signed ${doc.sha256}; ` +
        `the file changed after signing — re-sign it with warrant policy sign ${file} --key KEY`,
      { file, actual: sha256, signed: doc.sha256 },
    );
  }
  const verified: string[] = [];
  const keys = new Set<string>();
  const unknown: string[] = [];
  for (const entry of doc.signatures) {
    const pub = trusted.get(entry.signer);
    if (!pub) {
      unknown.push(entry.signer);
      continue;
    }
    const sig = decodeBase64(entry.sig, 64)!;
    if (!verifyDomain(POLICY_DOMAIN, bytes, sig, pub)) {
      throw new WarrantError(
        "policy_signature_invalid",
        `Cannot load ${file}: signature by "${entry.signer}" does not verify against its configured key ` +
          `${formatPublicKey(pub)} (file sha256 ${sha256}); re-sign it with that signer's key ` +
          `(warrant policy sign ${file} --key KEY) or fix trust.policy_signers`,
        { file, signer: entry.signer },
      );
    }
    const k = encodeHex(pub);
    if (!keys.has(k)) {
      keys.add(k);
      verified.push(entry.signer);
    }
  }
  const warnings = unknown.map((id) =>
    `${file}.sig: signature by "${id}" ignored: "${id}" is not in trust.policy_signers`
  );
  if (verified.length < threshold) {
    const got = `${verified.length} of ${threshold} required signer(s) verified` +
      (verified.length ? ` (${verified.join(", ")})` : "");
    if (unknown.length > 0) {
      throw new WarrantError(
        "policy_signer_unknown",
        `Cannot load ${file}: signed by ${unknown.map((u) => `"${u}"`).join(", ")}, not in ` +
          `trust.policy_signers; ${got}; add the signer's public key to trust.policy_signers ` +
          `or sign with a configured key`,
        { file, unknown, verified },
      );
    }
    throw new WarrantError(
      "policy_threshold_not_met",
      `Cannot load ${file}: ${got}; have ${
        threshold - verified.length
      } more configured signer(s) run ` +
        `warrant policy sign ${file} --key KEY`,
      { file, verified, threshold },
    );
  }
  return { sha256, signers: verified, warnings };
}
