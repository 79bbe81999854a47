/**
 * Release checksums: the `SHA256SUMS` file `scripts/release` writes (the
 * `sha256sum` format, so `sha256sum -c` reads it too) and its detached
 * signature `SHA256SUMS.sig` (64 raw bytes: ed25519 over RELEASE_DOMAIN +
 * the file's exact bytes). Pure: the caller reads the files.
 */
import { sha256Hex } from "./digest.ts";
import { WarrantError } from "./errors.ts";
import { RELEASE_DOMAIN, signDomain, verifyDomain } from "./signing.ts";

/** One line of SHA256SUMS: a lowercase hex digest and a file name. */
export interface ChecksumEntry {
  sha256: string;
  name: string;
}

/**
 * Parse SHA256SUMS text (`HEX  NAME` or `HEX *NAME` per line, as sha256sum
 * writes). Throws invalid_argument naming the first bad line; a file name
 * with a slash is refused so a checksum list can never point outside its
 * folder.
 *
 * @example parseChecksums("ab…ef  warrant-linux-x64\n")[0].name // "warrant-linux-x64"
 */
export function parseChecksums(text: string): ChecksumEntry[] {
  const out: ChecksumEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "" && i === lines.length - 1) break;
    const m = /^([0-9a-f]{64}) [ *]([^/\\]+)$/.exec(line);
    if (!m) {
      throw new WarrantError(
        "invalid_argument",
        `SHA256SUMS line ${i + 1} is not "<64 hex> <space><space|*><file name>": ${
          JSON.stringify(line.slice(0, 120))
        }`,
      );
    }
    out.push({ sha256: m[1]!, name: m[2]! });
  }
  if (out.length === 0) throw new WarrantError("invalid_argument", "SHA256SUMS lists no file");
  return out;
}

/** The text of SHA256SUMS for `files` (name → bytes), sorted by name. */
export function formatChecksums(files: Array<{ name: string; bytes: Uint8Array }>): string {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${sha256Hex(f.bytes)}  ${f.name}\n`).join("");
}

/** Sign SHA256SUMS bytes with a 32-byte seed: the 64 bytes of SHA256SUMS.sig. */
export function signChecksums(sums: Uint8Array, secret: Uint8Array): Uint8Array {
  return signDomain(RELEASE_DOMAIN, sums, secret);
}

/**
 * Check SHA256SUMS against its signature by any of `publicKeys`. Throws
 * signature_invalid (wrong length, or no key verifies it) with the fix;
 * returns the parsed entries when it verifies. Verify the bytes before
 * trusting a single line (verify bytes before parsing).
 */
export function verifyChecksums(
  sums: Uint8Array,
  sig: Uint8Array,
  publicKeys: Uint8Array[],
): ChecksumEntry[] {
  if (sig.length !== 64) {
    throw new WarrantError(
      "signature_invalid",
      `SHA256SUMS.sig is ${sig.length} bytes, expected the 64 raw bytes of an ed25519 signature`,
    );
  }
  if (!publicKeys.some((pub) => verifyDomain(RELEASE_DOMAIN, sums, sig, pub))) {
    throw new WarrantError(
      "signature_invalid",
      "SHA256SUMS.sig does not verify with the given release key: the checksums were changed, " +
        "or they were signed by another key; download them again from the release page",
    );
  }
  return parseChecksums(new TextDecoder("utf-8", { fatal: true }).decode(sums));
}
