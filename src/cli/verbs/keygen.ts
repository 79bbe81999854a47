/**
 * `warrant keygen --id ID --out FILE [--force]`: a new ed25519 key pair in a
 * warrant JSON key file, mode 0600. Prints the public key.
 */
import { dirname, resolve } from "node:path";
import { WarrantError } from "../../core/errors.ts";
import { getPublicKey } from "../../core/ed25519.ts";
import { formatKeyFile, formatPublicKey, isValidKeyId } from "../../core/keys.ts";
import { EXIT, printJson, requireFlag, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";

export const keygenVerb: Verb = {
  name: "keygen",
  summary: "Create an ed25519 key pair (secret file 0600; prints the public key)",
  help: [
    "Usage: warrant keygen --id ID --out FILE [--force] [--json]",
    "",
    "Writes a warrant key file (JSON, mode 0600) holding the secret seed, and",
    "prints the public key `ed25519:BASE64` to put in warrant.json",
    "(trust.policy_signers) or in a policy's approvers.",
    "",
    "Flags:",
    "  --id ID      signer/approver id stored in the file (A-Z a-z 0-9 . _ @ -)",
    "  --out FILE   where to write the secret key file",
    "  --force      overwrite FILE if it exists",
    "  --json       print {id, public_key, file}",
    "",
    "Example:",
    "  warrant keygen --id ops --out keys/ops.key",
  ].join("\n"),
  flags: { id: { type: "string" }, out: { type: "string" }, force: { type: "boolean" } },
  async run(args, io) {
    const id = requireFlag(args, "id", "the signer or approver id");
    const out = requireFlag(args, "out", "the secret key file to write");
    if (!isValidKeyId(id)) {
      throw new UsageError(
        `--id ${JSON.stringify(id)}: use 1-64 characters of A-Z a-z 0-9 . _ @ -`,
      );
    }
    const file = resolve(io.cwd, out);
    const fs = io.runtime.files;
    if (fs.exists(file)) {
      if (!args.flags.force) {
        throw new WarrantError(
          "invalid_argument",
          `Refusing to overwrite ${file}: it exists and may hold a secret key; pass --force to replace it`,
        );
      }
      fs.remove(file);
    }
    const secret = crypto.getRandomValues(new Uint8Array(32));
    try {
      fs.writeText(file, formatKeyFile(id, secret), { mode: 0o600, exclusive: true });
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new WarrantError(
        code === "ENOENT" ? "not_found" : "invalid_argument",
        code === "ENOENT"
          ? `Cannot write key file ${file}: the folder ${
            dirname(file)
          } does not exist; create it first (mkdir -p ${dirname(file)})`
          : `Cannot write key file ${file}: ${(e as Error).message}`,
        { file },
      );
    }
    fs.chmod(file, 0o600);
    const publicKey = formatPublicKey(getPublicKey(secret));
    if (args.flags.json) printJson(io, { id, public_key: publicKey, file });
    else {
      io.out(publicKey);
      io.err(
        `warrant: wrote the secret key of "${id}" to ${file} (mode 0600); share only the public key`,
      );
    }
    return EXIT.ok;
  },
};
