/**
 * Runs the Python stdlib client's unittest suite (test/clients/test_gate_client.py)
 * so `bun test` (and scripts/test) covers it. Skipped when python3 is absent.
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const hasPython = spawnSync("python3", ["--version"]).status === 0;
if (!hasPython) console.warn("SKIP Python stdlib client unittest suite: python3 is not on PATH");

test.skipIf(!hasPython)("python client unittest suite passes against the echo gate", () => {
  // `-m unittest discover`: a `test.*` module path would collide with Python's stdlib `test`.
  const r = spawnSync(
    "python3",
    [
      "-W",
      "error::ResourceWarning",
      "-m",
      "unittest",
      "discover",
      "-s",
      "test/clients",
      "-p",
      "test_*.py",
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
      env: {
        ...process.env,
        WARRANT_BUN: process.execPath,
        PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      },
    },
  );
  if (r.status !== 0) console.error(r.stdout, r.stderr);
  expect(r.stderr).toMatch(/\nOK/);
  expect(r.status).toBe(0);
});
