/**
 * File helpers shared by the key verbs: read a key file with a precise error
 * (through the Files port: the CLI names no node:fs).
 */
import { resolve } from "node:path";
import { WarrantError } from "../core/errors.ts";
import { parseSecretKeyFile } from "../core/keys.ts";
import type { SecretKey } from "../core/keys.ts";
import type { Files } from "../app/ports/files.ts";

/** Read a file's bytes, or null when it does not exist (other errors propagate). */
export function readBytesOrNull(files: Files, path: string): Uint8Array | null {
  try {
    return files.readBytes(path);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw e;
  }
}

/** Read and parse a secret key file (warrant JSON or PKCS#8 PEM) relative to `cwd`. */
export function readSecretKey(
  files: Files,
  path: string,
  cwd: string,
): SecretKey & { file: string } {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = files.readText(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new WarrantError(
      code === "ENOENT" ? "not_found" : "key_file_invalid",
      code === "ENOENT"
        ? `Cannot read key file ${file}: no such file; create one with warrant keygen --id ID --out ${path}`
        : `Cannot read key file ${file}: ${e instanceof Error ? e.message : e}`,
      { file },
    );
  }
  assertPrivateKeyFile(files, file);
  return { ...parseSecretKeyFile(text, file), file };
}

/**
 * Refuse a secret key file that group or others may read (key_file_invalid,
 * with the chmod that fixes it). No-op on Windows, whose ACLs are not modes.
 *
 * @example assertPrivateKeyFile(files, "keys/alice.key") // throws when the file is 0644
 */
export function assertPrivateKeyFile(files: Files, file: string): void {
  if (process.platform === "win32") return;
  const mode = (files.stat(file)?.mode ?? 0) & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new WarrantError(
      "key_file_invalid",
      `Key file ${file} is readable by ${mode & 0o070 ? "group" : ""}${
        mode & 0o070 && mode & 0o007 ? " and " : ""
      }${mode & 0o007 ? "others" : ""} (mode ${
        mode.toString(8).padStart(4, "0")
      }); a secret key must be private to its owner: run chmod 600 ${file}`,
      { file, mode },
    );
  }
}
