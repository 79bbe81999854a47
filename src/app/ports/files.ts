/**
 * The Files port: the few file operations the CLI's verbs need (key files,
 * policy and signature files, release files, imported configs), so that no
 * face names node:fs. Errors are the platform's own (with `code`, e.g.
 * ENOENT), so callers keep their precise messages. One adapter,
 * platform/files.ts (node:fs, the same in Bun and Deno).
 */
export interface FileStat {
  isDirectory: boolean;
  /** Permission bits (st_mode & 0o7777). */
  mode: number;
}

export interface Files {
  readText(path: string): string;
  readBytes(path: string): Uint8Array;
  /**
   * Write `text`; `mode` applies when the file is created, `exclusive`
   * fails (EEXIST) when it already exists.
   */
  writeText(path: string, text: string, opts?: { mode?: number; exclusive?: boolean }): void;
  exists(path: string): boolean;
  /** null when nothing is at `path`. */
  stat(path: string): FileStat | null;
  /** Names in a folder. */
  list(dir: string): string[];
  /** Create a folder and its missing parents. */
  mkdirp(dir: string): void;
  remove(path: string): void;
  chmod(path: string, mode: number): void;
}
