/**
 * `warrant verify-release [DIR] --key KEY [--file NAME]…`: check a download
 * against the release's signed SHA256SUMS before installing it. The
 * signature is verified over the exact bytes first; only then is a line of
 * the checksum list trusted.
 */
import type { Files } from "../../app/ports/files.ts";
import { resolve } from "node:path";
import { sha256Hex } from "../../core/digest.ts";
import { WarrantError } from "../../core/errors.ts";
import { parsePublicKey } from "../../core/keys.ts";
import { verifyChecksums } from "../../core/release.ts";
import { readBytesOrNull } from "../key-files.ts";
import { EXIT, printJson, requireFlag } from "../io.ts";
import type { Verb } from "../io.ts";

/** `--key` is the key itself (ed25519:BASE64) or a file holding it or its SPKI PEM. */
function readReleaseKey(fs: Files, key: string, cwd: string): Uint8Array {
  if (key.startsWith("ed25519:")) return parsePublicKey(key);
  const file = resolve(cwd, key);
  const bytes = readBytesOrNull(fs, file);
  if (!bytes) {
    throw new WarrantError(
      "not_found",
      `Cannot read release key ${file}: no such file; pass the published key as ed25519:BASE64 or a PEM file`,
      { file },
    );
  }
  return parsePublicKey(new TextDecoder().decode(bytes));
}

function mustRead(fs: Files, file: string, what: string): Uint8Array {
  const bytes = readBytesOrNull(fs, file);
  if (!bytes) throw new WarrantError("not_found", `Cannot read ${what} ${file}: no such file`);
  return bytes;
}

export const verifyReleaseVerb: Verb = {
  name: "verify-release",
  summary: "Check downloaded release files against the signed SHA256SUMS",
  help: [
    "Usage: warrant verify-release [DIR] --key KEY [--file NAME]... [--json]",
    "",
    'Verifies DIR/SHA256SUMS.sig (ed25519 over "warrant:release:v1\\n" + the',
    "exact bytes of DIR/SHA256SUMS) with the release key, then the sha256 of",
    "each listed file present in DIR (or only the --file ones, which must be",
    "present). DIR defaults to the current folder. Exits 0 when everything",
    "verifies, 1 on a bad signature or a checksum mismatch, 3 when a file is missing.",
    "",
    "Flags:",
    "  --key KEY    the published release key: ed25519:BASE64, or a file holding",
    "               it or its SPKI PEM (warrant-release.pub.pem)",
    "  --file NAME  check only this file (repeatable)",
    "  --json       print {verified: [names], skipped: [names]}",
    "",
    "Example:",
    "  warrant verify-release ~/Downloads --key warrant-release.pub.pem --file warrant-linux-arm64",
  ].join("\n"),
  flags: { key: { type: "string" }, file: { type: "string", multiple: true } },
  async run(args, io) {
    const dir = resolve(io.cwd, args.positionals[0] ?? ".");
    const fs = io.runtime.files;
    const pub = readReleaseKey(fs, requireFlag(args, "key", "the published release key"), io.cwd);
    const sums = mustRead(fs, resolve(dir, "SHA256SUMS"), "the checksum list");
    const sig = mustRead(fs, resolve(dir, "SHA256SUMS.sig"), "the checksum signature");
    const entries = verifyChecksums(sums, sig, [pub]);
    const only = (args.flags.file as string[] | undefined) ?? [];
    for (const name of only) {
      if (!entries.some((e) => e.name === name)) {
        throw new WarrantError("not_found", `${name} is not listed in ${dir}/SHA256SUMS`);
      }
    }
    const verified: string[] = [];
    const skipped: string[] = [];
    for (const e of entries) {
      if (only.length > 0 && !only.includes(e.name)) continue;
      const file = resolve(dir, e.name);
      if (!fs.exists(file)) {
        if (only.length > 0) {
          throw new WarrantError("not_found", `Cannot read ${file}: no such file`);
        }
        skipped.push(e.name);
        continue;
      }
      const actual = sha256Hex(fs.readBytes(file));
      if (actual !== e.sha256) {
        throw new WarrantError(
          "digest_mismatch",
          `${file}: sha256 ${actual} differs from the signed ${e.sha256}; do not install it, download it again`,
        );
      }
      verified.push(e.name);
    }
    if (verified.length === 0) {
      throw new WarrantError(
        "not_found",
        `None of the files listed in ${dir}/SHA256SUMS is in ${dir}`,
      );
    }
    if (args.flags.json) printJson(io, { verified, skipped });
    else {
      for (const n of verified) io.out(`OK  ${n}`);
      if (skipped.length > 0) io.err(`warrant: not downloaded, not checked: ${skipped.join(", ")}`);
      io.err("warrant: SHA256SUMS signature verified with the release key");
    }
    return EXIT.ok;
  },
};
