/**
 * A witness directory: signed checkpoints appended, one JSON line each, to
 * `DIR/checkpoints.jsonl`. Each append is written with O_APPEND and fsynced
 * (the file, and the folder when the file is new) before it returns, so a
 * checkpoint that was reported written survives a crash.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { Witness } from "../app/ports/witness.ts";

const FILE = "checkpoints.jsonl";

/** The witness in directory `dir` (created 0700 when missing). */
export function witnessDir(dir: string): Witness {
  const file = join(dir, FILE);
  const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");
  return {
    where: file,
    append(line: string): void {
      const fresh = !existsSync(file);
      if (fresh) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const fd = openSync(file, "a", 0o600);
      try {
        writeSync(fd, `${line.replace(/\n/g, "")}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (fresh) {
        try {
          const d = openSync(dir, "r");
          try {
            fsyncSync(d);
          } finally {
            closeSync(d);
          }
        } catch { /* some platforms cannot fsync a folder; the file itself is synced */ }
      }
    },
    tail(maxBytes: number): string[] {
      if (!existsSync(file)) return [];
      const size = statSync(file).size;
      const start = Math.max(0, size - maxBytes);
      const buf = new Uint8Array(size - start);
      const fd = openSync(file, "r");
      try {
        readSync(fd, buf, 0, buf.length, start);
      } finally {
        closeSync(fd);
      }
      const out = lines(new TextDecoder().decode(buf));
      return start > 0 ? out.slice(1) : out; // the first line may be cut
    },
    all(): string[] {
      return existsSync(file) ? lines(readFileSync(file, "utf8")) : [];
    },
  };
}
