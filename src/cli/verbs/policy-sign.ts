/**
 * `warrant policy sign FILE --key KEYFILE [--id SIGNER]`: add (or replace)
 * this signer's signature in FILE.sig, keeping the other signers' entries
 * when they sign the same bytes.
 */
import { resolve } from "node:path";
import { decodeUtf8 } from "../../core/base64.ts";
import { WarrantError } from "../../core/errors.ts";
import {
  formatSignatureDoc,
  parseSignatureDoc,
  signPolicyBytes,
} from "../../core/policy-signature.ts";
import { compilePolicy } from "../../core/policy/compile.ts";
import { lintPolicy } from "../../core/policy/lint.ts";
import { parsePolicyDocument, policyIssues } from "../../core/policy/schema.ts";
import { EXIT, printJson, requireFlag, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";
import { readBytesOrNull, readSecretKey } from "../key-files.ts";

export const policySignVerb: Verb = {
  name: "policy sign",
  summary: "Sign a policy file (writes FILE.sig; several signers may sign)",
  help: [
    "Usage: warrant policy sign FILE --key KEYFILE [--id SIGNER] [--json]",
    "",
    'Signs the exact bytes of FILE (ed25519 over "warrant:policy:v1\\n" + bytes) and',
    "writes FILE.sig. An existing FILE.sig for the same bytes keeps the other",
    "signers' entries (multi-signer thresholds); one for older bytes is replaced.",
    "",
    "Flags:",
    "  --key KEYFILE  a warrant key file (warrant keygen) or a PKCS#8 PEM",
    "  --id SIGNER    signer id (default: the id in the key file; required for a PEM)",
    "",
    "Example:",
    "  warrant policy sign policies/acme.policy.json --key keys/ops.key",
  ].join("\n"),
  flags: { key: { type: "string" }, id: { type: "string" } },
  async run(args, io) {
    const path = args.positionals[0];
    if (!path || args.positionals.length > 1) {
      throw new UsageError("expected exactly one policy FILE");
    }
    const fs = io.runtime.files;
    const key = readSecretKey(fs, requireFlag(args, "key", "the signer's key file"), io.cwd);
    const signer = (args.flags.id as string | undefined) ?? key.id;
    if (!signer) throw new UsageError(`--id is required: ${key.file} is a PEM key without an id`);
    const file = resolve(io.cwd, path);
    const bytes = readBytesOrNull(fs, file);
    if (bytes === null) {
      throw new WarrantError("policy_not_found", `Cannot sign ${file}: no such file`);
    }
    refuseInvalid(bytes, file);
    const sigFile = `${file}.sig`;
    const existingBytes = readBytesOrNull(fs, sigFile);
    const existing = existingBytes === null ? null : decodeUtf8(existingBytes) ?? "";
    const doc = signPolicyBytes(bytes, signer, key.secret, existing, file);
    const signers = doc.signatures.map((s) => s.signer).sort();
    if (existing !== null) {
      const prev = parseSignatureDoc(existing, file);
      if (prev.sha256 !== doc.sha256) {
        const stale = prev.signatures.map((s) => s.signer).filter((s) => s !== signer);
        if (stale.length) {
          io.err(
            `warrant: ${file} changed since it was signed; dropped stale signatures by ${
              stale.join(", ")
            }`,
          );
        }
      }
    }
    fs.writeText(sigFile, formatSignatureDoc(doc));
    if (args.flags.json) {
      printJson(io, { file, sig_file: sigFile, sha256: doc.sha256, signer, signers });
    } else {io.out(
        `signed ${file} as "${signer}" (sha256 ${doc.sha256}); ${sigFile} holds: ${
          signers.join(", ")
        }`,
      );}
    return EXIT.ok;
  },
};

/**
 * Refuse to sign what `policy check` rejects: a signature is the operators'
 * word that a document is fit to run, and the gate would refuse it anyway
 * (an unparsable key, an unknown role, approvers sharing a key, a bad
 * pattern…). Warnings (shadowed rules, default allow) do not stop signing.
 */
function refuseInvalid(bytes: Uint8Array, file: string): void {
  const text = decodeUtf8(bytes);
  if (text === null) {
    throw new WarrantError("policy_json_invalid", `Cannot sign ${file}: not UTF-8 text`);
  }
  const issues = policyIssues(text, file);
  const errors = issues.length > 0
    ? issues.map((i) => `${i.path}: ${i.message}`)
    : lintPolicy(compilePolicy(parsePolicyDocument(text, file)))
      .filter((f) => f.level === "error").map((f) => f.message);
  if (errors.length > 0) {
    throw new WarrantError(
      "policy_schema_invalid",
      `Cannot sign ${file}: ${errors[0]}${
        errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""
      }; fix it (warrant policy check ${file} lists every problem), then sign`,
    );
  }
}
