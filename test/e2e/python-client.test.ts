/**
 * The Python stdlib client (shaped like lodestar-runtime-client's
 * GateClient: one reader thread, run_tool off-thread) against the compiled
 * binary: 16 threads × 50 concurrent governs, all correlated.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { ensureBinary, makeWorkspace, ROOT } from "./harness.ts";
import type { Workspace } from "./harness.ts";

const hasPython = spawnSync("python3", ["--version"]).status === 0;
if (!hasPython) console.warn("SKIP Python client e2e (16x50 governs): python3 is not on PATH");

let ws: Workspace;
beforeAll(async () => {
  ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
});
afterAll(() => ws.cleanup());

test.skipIf(!hasPython)(
  "16 threads × 50 governs through the Python client, every reply its own",
  async () => {
    const bin = await ensureBinary();
    const r = spawnSync("python3", [
      join(ROOT, "test/clients/e2e_concurrency.py"),
      bin,
      ws.configPath,
    ], {
      encoding: "utf8",
      timeout: 120_000,
    });
    const summary = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
    expect(summary).toEqual({ governs: 800, bodies: 800, distinct: 800, failures: [] });
    expect(r.status).toBe(0);
  },
);
