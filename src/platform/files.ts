/**
 * The Files port over node:fs (the same module in Bun and Deno).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import type { Files } from "../app/ports/files.ts";

export const nodeFiles: Files = {
  readText: (path) => readFileSync(path, "utf8"),
  readBytes: (path) => new Uint8Array(readFileSync(path)),
  writeText(path, text, opts = {}) {
    writeFileSync(path, text, {
      ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
      ...(opts.exclusive ? { flag: "wx" } : {}),
    });
  },
  exists: (path) => existsSync(path),
  stat(path) {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? { isDirectory: st.isDirectory(), mode: st.mode & 0o7777 } : null;
  },
  list: (dir) => readdirSync(dir),
  mkdirp(dir) {
    mkdirSync(dir, { recursive: true });
  },
  remove(path) {
    unlinkSync(path);
  },
  chmod(path, mode) {
    chmodSync(path, mode);
  },
};
