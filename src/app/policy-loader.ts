/**
 * Load the active policy: read the bytes, verify them against the detached
 * .sig BEFORE parsing anything, then parse, compile, check expiry and
 * rollback, and record the accepted version.
 */
import { decodeUtf8, encodeHex } from "../core/base64.ts";
import { sha256Bytes } from "../core/digest.ts";
import { WarrantError } from "../core/errors.ts";
import { verifyPolicySignature } from "../core/policy-signature.ts";
import type { PolicySigner } from "../core/policy-signature.ts";
import { compilePolicy } from "../core/policy/compile.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import { parsePolicyDocument } from "../core/policy/schema.ts";
import type { PolicyVersionGuard } from "./ports/policy-source.ts";

export interface LoadPolicyInput {
  /** Policy file path; the signature is read from `${file}.sig`. */
  file: string;
  /** Returns the file's bytes, or null when it does not exist. */
  readFile: (path: string) => Uint8Array | null;
  /** `trust.policy_signers`. */
  signers: PolicySigner[];
  /** `trust.policy_threshold`. */
  threshold: number;
  /** `policy.allow_unsigned`: a MISSING .sig is accepted with a warning; a bad one still fails. */
  allowUnsigned: boolean;
  versions: PolicyVersionGuard;
  /** ms since epoch. */
  now: number;
}

export interface LoadedPolicy {
  policy: CompiledPolicy;
  /** Hex sha256 of the policy file bytes. */
  sha256: string;
  /** The exact bytes verified, and the .sig file's bytes (null when unsigned). */
  bytes: Uint8Array;
  sig: Uint8Array | null;
  /** True when accepted without a signature (allow_unsigned). */
  unsigned: boolean;
  /** Ids of the configured signers that verified. */
  signers: string[];
  warnings: string[];
}

/**
 * Load, verify and accept a policy. Throws WarrantError with:
 * policy_not_found; the signature codes of verifyPolicySignature
 * (policy_signature_missing unless allowUnsigned, policy_signature_malformed,
 * policy_digest_mismatch, policy_signature_invalid, policy_signer_unknown,
 * policy_threshold_not_met); policy_json_invalid (not UTF-8) and the codes of
 * parsePolicyDocument/compilePolicy; policy_expired; policy_rollback (older
 * version, or same version with different bytes; or a version not above
 * the project's highest accepted one, whatever its id, unless byte-identical).
 * On success the version is recorded with `versions.accept`.
 *
 * @example loadPolicy({ file: "policies/acme.policy.json", readFile, signers, threshold: 1,
 *   allowUnsigned: false, versions: new InMemoryPolicyVersions(), now: Date.now() })
 */
export function loadPolicy(input: LoadPolicyInput): LoadedPolicy {
  const { file, now } = input;
  const bytes = input.readFile(file);
  if (bytes === null) {
    throw new WarrantError(
      "policy_not_found",
      `Cannot load ${file}: no such file; check policy.file in the config`,
      { file },
    );
  }
  const sha256 = encodeHex(sha256Bytes(bytes));
  const sigBytes = input.readFile(`${file}.sig`);
  const warnings: string[] = [];
  let unsigned = false;
  let signers: string[] = [];
  if (sigBytes === null && input.allowUnsigned) {
    unsigned = true;
    warnings.push(
      `${file} is loaded UNSIGNED (policy.allow_unsigned is true): development mode only; ` +
        `sign it with warrant policy sign ${file} --key KEY`,
    );
  } else {
    let sigText: string | null = null;
    if (sigBytes !== null) {
      sigText = decodeUtf8(sigBytes);
      if (sigText === null) {
        throw new WarrantError(
          "policy_signature_malformed",
          `Cannot load ${file}: ${file}.sig is not UTF-8 text; re-sign with warrant policy sign ${file} --key KEY`,
          { file },
        );
      }
    }
    const v = verifyPolicySignature({
      file,
      bytes,
      sigText,
      signers: input.signers,
      threshold: input.threshold,
    });
    signers = v.signers;
    warnings.push(...v.warnings);
  }

  const text = decodeUtf8(bytes);
  if (text === null) {
    throw new WarrantError("policy_json_invalid", `Cannot load ${file}: not valid UTF-8 text`, {
      file,
    });
  }
  const policy = compilePolicy(parsePolicyDocument(text, file));

  if (policy.expires !== null && now >= policy.expires) {
    throw new WarrantError(
      "policy_expired",
      `Cannot load ${file}: policy ${policy.id} v${policy.version} expired at ` +
        `${new Date(policy.expires).toISOString()}; publish and sign a new version`,
      { file, expires: policy.expires },
    );
  }

  const accepted = input.versions.accepted(policy.id);
  if (accepted !== null && policy.version < accepted) {
    throw new WarrantError(
      "policy_rollback",
      `Cannot load ${file}: version ${policy.version} of ${policy.id} is older than the accepted ` +
        `version ${accepted}; publish a policy with version > ${accepted}`,
      { file, version: policy.version, accepted },
    );
  }
  if (accepted !== null && policy.version === accepted && input.versions.acceptedSha256) {
    const prev = input.versions.acceptedSha256(policy.id);
    if (prev !== null && prev !== sha256) {
      throw new WarrantError(
        "policy_rollback",
        `Cannot load ${file}: version ${policy.version} of ${policy.id} was accepted with sha256 ${prev}, ` +
          `this file is ${sha256}: same version, different content; bump version to ${
            accepted + 1
          }`,
        { file, version: policy.version, accepted_sha256: prev, sha256 },
      );
    }
  }
  // Per project, across policy ids: an older permissive policy cannot come
  // back under a new name (acme-agents-legacy v1 after acme-agents v2).
  const head = input.versions.projectHead?.() ?? null;
  if (head !== null && head.sha256 !== sha256 && policy.version <= head.version) {
    throw new WarrantError(
      "policy_rollback",
      `Cannot load ${file}: ${policy.id} v${policy.version} is not newer than ${head.policy_id} ` +
        `v${head.version}, which this store already accepted for the project; versions are monotonic ` +
        `per project whatever the policy id — publish it with version > ${head.version}`,
      { file, version: policy.version, accepted: head.version, accepted_policy: head.policy_id },
    );
  }
  input.versions.accept(policy.id, policy.version, sha256, now, {
    bytes,
    sig: unsigned ? null : sigBytes,
  });
  return { policy, sha256, bytes, sig: unsigned ? null : sigBytes, unsigned, signers, warnings };
}
