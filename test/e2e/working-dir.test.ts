/**
 * The folder a hook starts warrant in is usually the agent's own project:
 * the agent can write every file in it. None of those files may be code or
 * configuration to warrant. Bun's compiled executables read `bunfig.toml`
 * (whose `preload` runs a script before the program) and `.env` from the
 * working directory unless built with those autoloads off (scripts/build);
 * the Deno bundle runs with `--no-config` (scripts/warrant-deno). Either
 * build with a planted file would run the agent's code inside the process
 * that decides whether the agent's calls run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";

let ws: Workspace;
let marker: string;

beforeAll(async () => {
  ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
  marker = join(ws.dir, "planted-code-ran");
  // Runs on either runtime if anything loads it; leaves a file behind.
  writeFileSync(
    join(ws.dir, "planted.js"),
    `globalThis.Deno ? Deno.writeTextFileSync(${JSON.stringify(marker)}, "ran")` +
      ` : require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`,
  );
  writeFileSync(join(ws.dir, "bunfig.toml"), 'preload = ["./planted.js"]\n');
  // Would print every event on stderr and turn on debug logging.
  writeFileSync(join(ws.dir, ".env"), "WARRANT_EVENTS_STDERR=1\nWARRANT_LOG=debug\n");
  // Deno's config: an import map that would swap a module the program uses.
  writeFileSync(
    join(ws.dir, "deno.json"),
    JSON.stringify({ imports: { "node:path": "./planted.js" } }),
  );
  writeFileSync(
    join(ws.dir, "package.json"),
    JSON.stringify({ name: "planted", type: "module", imports: { "#x": "./planted.js" } }),
  );
  writeFileSync(
    join(ws.dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { paths: { "node:path": ["./planted.js"] } } }),
  );
});
afterAll(() => ws.cleanup());

/** What a planted file would have changed in a process's stderr. */
function expectNothingPlanted(stderr: string): void {
  expect(existsSync(marker)).toBe(false);
  expect(stderr).not.toContain('"event":');
  expect(stderr).not.toContain('"level":"debug"');
}

describe("files the agent can write in the working directory", () => {
  test("a gate started there governs as configured; bunfig.toml, .env, deno.json, package.json are not read", async () => {
    const gate = await spawnGate(ws.configPath, { cwd: ws.dir });
    await gate.registerTool("search_docs", () => "found");
    expect(await gate.govern("search_docs", { q: "x" })).toMatchObject({
      phase: "completed",
      output: "found",
    });
    expect(await gate.close()).toBe(0);
    expectNothingPlanted(gate.stderrText);
  });

  test("a CLI verb run there reads none of them either", async () => {
    const r = await runCli(["audit", "verify", "--config", ws.configPath], { cwd: ws.dir });
    expect(r.code).toBe(0);
    expectNothingPlanted(r.stderr + r.stdout);
  });
});
