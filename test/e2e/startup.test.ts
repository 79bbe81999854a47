/**
 * Start-up and reload through the binary: nothing is served before config,
 * store and a verified policy are loaded; a bad reload keeps the active
 * policy and records why.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate, waitForStderr } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { withStoreSql } from "./store-sql.ts";

let ws: Workspace;
beforeAll(async () => {
  ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
});
afterAll(() => ws.cleanup());

const gateArgs = (config: string) => ["runtime", "gate", "--config", config];

describe("start-up refuses to serve on bad input", () => {
  test("an invalid config exits 1 before ready, naming the file, the path and the fix", async () => {
    const bad = join(ws.dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        project: "x",
        policy: { file: "p.json" },
        gate: { tool_exec_timeout_ms: "soon" },
      }),
    );
    const r = await runCli(gateArgs(bad), { stdin: "" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain("gate.tool_exec_timeout_ms");
  });

  test("a missing config exits 1 and says so", async () => {
    const r = await runCli(gateArgs(join(ws.dir, "nope.json")), { stdin: "" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no such file");
  });

  test("a tampered policy exits 1 before ready", async () => {
    const original = readFileSync(ws.policyPath);
    try {
      writeFileSync(ws.policyPath, original.toString().replace('"version": 1', '"version": 1 '));
      const r = await runCli(gateArgs(ws.configPath), { stdin: "" });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("policy_digest_mismatch");
      expect(r.stderr).toContain("warrant policy sign");
    } finally {
      writeFileSync(ws.policyPath, original);
    }
  });
});

describe("reload", () => {
  test("SIGHUP loads a newer signed policy; a bad one is refused and the active one kept", async () => {
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("new_tool", () => "ran");
    expect((await gate.govern("new_tool", {})).phase).toBe("rejected");
    const doc = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    doc.version = 2;
    doc.rules.push({ id: "new", tool: "new_tool", effect: "allow" });
    writeFileSync(ws.policyPath, JSON.stringify(doc, null, 2));
    expect((await runCli(["policy", "sign", ws.policyPath, "--key", ws.keys.ops!.path])).code).toBe(
      0,
    );
    gate.kill("SIGHUP");
    let r = await gate.govern("new_tool", {});
    for (let i = 0; i < 40 && r.phase !== "completed"; i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = await gate.govern("new_tool", {});
    }
    expect(r).toMatchObject({ phase: "completed", output: "ran" });
    // A tampered update is refused; the gate keeps v2.
    writeFileSync(
      ws.policyPath,
      readFileSync(ws.policyPath, "utf8").replace('"new_tool"', '"new_toolz"'),
    );
    gate.kill("SIGHUP");
    await new Promise((res) => setTimeout(res, 300));
    expect((await gate.govern("new_tool", {})).phase).toBe("completed");
    expect(await gate.close()).toBe(0);
    const types = withStoreSql(
      ws,
      (db) => db.all<{ type: string }>("SELECT type FROM events ORDER BY seq").map((e) => e.type),
      { readonly: true },
    );
    expect(types).toContain("policy.reload_refused");
    expect(types.filter((t) => t === "policy.loaded").length).toBeGreaterThanOrEqual(2);
  });

  test("replacing the policy file by rename (as editors and deploys do) is picked up without SIGHUP", async () => {
    // The previous test left a tampered file behind: start from a freshly signed version.
    const start = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    start.version += 1;
    writeFileSync(ws.policyPath, JSON.stringify(start, null, 2));
    expect((await runCli(["policy", "sign", ws.policyPath, "--key", ws.keys.ops!.path])).code).toBe(
      0,
    );
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("renamed_tool", () => "ran");
    expect((await gate.govern("renamed_tool", {})).phase).toBe("rejected");
    const doc = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    doc.version += 1;
    doc.rules.push({ id: "renamed", tool: "renamed_tool", effect: "allow" });
    const staged = `${ws.policyPath}.new`;
    writeFileSync(staged, JSON.stringify(doc, null, 2));
    expect((await runCli(["policy", "sign", staged, "--key", ws.keys.ops!.path])).code).toBe(0);
    renameSync(`${staged}.sig`, `${ws.policyPath}.sig`);
    renameSync(staged, ws.policyPath);
    let r = await gate.govern("renamed_tool", {});
    for (let i = 0; i < 60 && r.phase !== "completed"; i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = await gate.govern("renamed_tool", {});
    }
    expect(r).toMatchObject({ phase: "completed", output: "ran" });
    expect(await gate.close()).toBe(0);
  });
});

describe("where a start went", () => {
  test("WARRANT_LOG=debug: after ready the gate logs its start-up phases, in ms from process start", async () => {
    const gate = await spawnGate(ws.configPath, { env: { WARRANT_LOG: "debug" } });
    const line = await waitForStderr(gate, /^(\{.*"msg":"gate ready".*\})$/m);
    const t = JSON.parse(line) as Record<string, number>;
    const phases = ["config_ms", "store_ms", "policy_ms", "session_ms", "serve_ms"];
    for (const k of ["ready_ms", "before_open_ms", ...phases]) {
      expect(typeof t[k]).toBe("number");
      expect(t[k]).toBeGreaterThanOrEqual(0);
    }
    // The phases follow one another: with what came before, they make up the total.
    const sum = phases.reduce((a, k) => a + t[k]!, t.before_open_ms!);
    expect(Math.abs(sum - t.ready_ms!)).toBeLessThan(1);
    expect(t.before_open_ms).toBeGreaterThan(0);
    expect(await gate.close()).toBe(0);
  });
});
