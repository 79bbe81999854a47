/**
 * scripts/release's signing step: write DIR/SHA256SUMS for the
 * warrant-linux-* files in DIR, sign it with a warrant key
 * (DIR/SHA256SUMS.sig, 64 raw bytes, so openssl can verify it too), and
 * write the public key as DIR/warrant-release.pub.pem.
 * Usage: bun scripts/release-sign.ts DIR KEY_FILE
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatPublicKey, formatSpkiPem, parseSecretKeyFile } from "../src/core/keys.ts";
import { formatChecksums, signChecksums, verifyChecksums } from "../src/core/release.ts";

const [dir, keyFile] = process.argv.slice(2);
if (!dir || !keyFile) {
  console.error("usage: bun scripts/release-sign.ts DIR KEY_FILE");
  process.exit(2);
}
const key = parseSecretKeyFile(readFileSync(keyFile, "utf8"), keyFile);
const files = readdirSync(dir).filter((n) => n.startsWith("warrant-linux-")).map((name) => ({
  name,
  bytes: new Uint8Array(readFileSync(join(dir, name))),
}));
if (files.length === 0) throw new Error(`no warrant-linux-* file in ${dir}`);
const sums = new TextEncoder().encode(formatChecksums(files));
const sig = signChecksums(sums, key.secret);
verifyChecksums(sums, sig, [key.publicKey]); // never publish a signature that does not verify
writeFileSync(join(dir, "SHA256SUMS"), sums);
writeFileSync(join(dir, "SHA256SUMS.sig"), sig);
writeFileSync(join(dir, "warrant-release.pub.pem"), formatSpkiPem(key.publicKey));
console.error(`warrant: signed SHA256SUMS with ${formatPublicKey(key.publicKey)}`);
