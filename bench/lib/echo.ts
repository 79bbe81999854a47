/**
 * The compiled reference gates: the echo gate (bench/echo-gate.ts), the
 * floor every gate benchmark compares with, and the durable floor
 * (bench/floor-gate.ts), the least a gate with warrant's promises can do.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

/** Where bench parts expect the echo gate binary. */
export const ECHO_BINARY = join(ROOT, "bench/out/echo-gate");
/** Where bench parts expect the floor gate binary. */
export const FLOOR_BINARY = join(ROOT, "bench/out/floor-gate");

/** What both reference gates are built from (besides their own entry file). */
const SHARED_SOURCES = [
  "bench/lib/minimal-gate.ts",
  "src/protocol/ndjson.ts",
  "src/platform/bun-stdio.ts",
  "src/platform/stdio.ts",
  "bench/lib/echo.ts",
];

/** Compiles bench/echo-gate.ts into `out` unless it is newer than its sources. */
export function ensureEchoBinary(out = ECHO_BINARY): void {
  ensureGateBinary("bench/echo-gate.ts", out, SHARED_SOURCES);
}

/** Compiles bench/floor-gate.ts into `out` unless it is newer than its sources. */
export function ensureFloorBinary(out = FLOOR_BINARY): void {
  ensureGateBinary("bench/floor-gate.ts", out, [...SHARED_SOURCES, "src/core/signing.ts"]);
}

function ensureGateBinary(entry: string, out: string, deps: readonly string[]): void {
  const sources = [entry, ...deps].map((s) => join(ROOT, s));
  if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) return;
  mkdirSync(resolve(out, ".."), { recursive: true });
  console.error(`bench: compiling ${out}`);
  const r = spawnSync(
    process.execPath,
    // Built as dist/warrant is (scripts/lib/compile.sh): minified, as
    // bytecode, with the same start-up JIT policy (minimal-gate.ts restores
    // it after `ready`) and nothing read from the working directory.
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
      join(ROOT, entry),
      "--outfile",
      out,
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (r.status !== 0) throw new Error(`bun build --compile of ${entry} failed (${r.status})`);
}
