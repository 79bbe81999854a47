/**
 * `warrant policy sign FILE --key KEYFILE [--id SIGNER]`: add (or replace)
 * this signer's signature in FILE.sig, keeping the other signers' entries
 * when they sign the same bytes.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { decodeUtf8 } from "../../core/base64.ts";
import { parseJsonStrict } from "../../core/canonical-json.ts";
import { WarrantError } from "../../core/errors.ts";
import {
  formatSignatureDoc,
  parseSignatureDoc,
  signPolicyBytes,
} from "../../core/policy-signature.ts";
import { sharedKeyIssues } from "../../core/policy/schema.ts";
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
    const key = readSecretKey(requireFlag(args, "key", "the signer's key file"), io.cwd);
    const signer = (args.flags.id as string | undefined) ?? key.id;
    if (!signer) throw new UsageError(`--id is required: ${key.file} is a PEM key without an id`);
    const file = resolve(io.cwd, path);
    const bytes = readBytesOrNull(file);
    if (bytes === null) {
      throw new WarrantError("policy_not_found", `Cannot sign ${file}: no such file`);
    }
    refuseSharedKeys(bytes, file);
    const sigFile = `${file}.sig`;
    const existingBytes = readBytesOrNull(sigFile);
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
    writeFileSync(sigFile, formatSignatureDoc(doc));
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
 * Refuse to sign a policy whose approvers share a key (one signature would
 * count twice toward a quorum). Other problems are `policy check`'s job;
 * a file that is not JSON is signed as bytes and refused where it loads.
 */
function refuseSharedKeys(bytes: Uint8Array, file: string): void {
  let doc: unknown;
  try {
    doc = parseJsonStrict(decodeUtf8(bytes) ?? "", 64);
  } catch {
    return;
  }
  const approvers = (doc as { approvers?: unknown } | null)?.approvers;
  if (approvers === null || typeof approvers !== "object" || Array.isArray(approvers)) return;
  const issue = sharedKeyIssues(approvers as Record<string, { key: unknown }>)[0];
  if (issue) {
    throw new WarrantError(
      "policy_schema_invalid",
      `Cannot sign ${file}: ${issue.path}: ${issue.message}`,
      { path: issue.path },
    );
  }
}
