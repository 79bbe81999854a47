/**
 * File helpers shared by the key verbs: read a key file with a precise error.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { WarrantError } from "../core/errors.ts";
import { parseSecretKeyFile } from "../core/keys.ts";
import type { SecretKey } from "../core/keys.ts";

/** Read a file's bytes, or null when it does not exist (other errors propagate). */
export function readBytesOrNull(path: string): Uint8Array | null {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw e;
  }
}

/** Read and parse a secret key file (warrant JSON or PKCS#8 PEM) relative to `cwd`. */
export function readSecretKey(path: string, cwd: string): SecretKey & { file: string } {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
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
  return { ...parseSecretKeyFile(text, file), file };
}
