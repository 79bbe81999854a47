/**
 * The compiled echo gate (bench/echo-gate.ts): the floor every gate
 * benchmark compares with.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

/** Where bench parts expect the echo gate binary. */
export const ECHO_BINARY = join(ROOT, "bench/out/echo-gate");

/** Compiles bench/echo-gate.ts into `out` unless it is newer than its sources. */
export function ensureEchoBinary(out = ECHO_BINARY): void {
  const sources = [
    "bench/echo-gate.ts",
    "src/protocol/ndjson.ts",
    "src/platform/bun-stdio.ts",
    "src/platform/stdio.ts",
    "bench/lib/echo.ts",
  ].map((s) => join(ROOT, s));
  if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) return;
  mkdirSync(resolve(out, ".."), { recursive: true });
  console.error(`bench: compiling ${out}`);
  const r = spawnSync(
    process.execPath,
    // Built as dist/warrant is (scripts/lib/compile.sh): minified, as
    // bytecode, with the same start-up JIT policy (echo-gate.ts restores it
    // after `ready`) and nothing read from the working directory.
    [
      "build",
      "--compile",
      "--minify",
      "--bytecode",
      "--compile-jit-policy=32",
      "--no-compile-autoload-bunfig",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-tsconfig",
      "--no-compile-autoload-package-json",
      join(ROOT, "bench/echo-gate.ts"),
      "--outfile",
      out,
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (r.status !== 0) throw new Error(`bun build --compile of the echo gate failed (${r.status})`);
}
