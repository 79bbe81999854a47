/**
 * Declared tools: exec → approve → resume runs the tool exactly once, even
 * when two `warrant resume` processes race; idempotency keys return the
 * first action; a denied or unapproved exec never runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";

let ws: Workspace;
const log = () => join(ws.dir, "runs.log");
const runs = () => readFileSync(log(), "utf8").split("\n").filter(Boolean);

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: APPROVERS,
    policy: (k) => e2ePolicy(k, {}, { deployTimeout: "2m" }),
    config: {
      tools: {
        deploy: { command: ["./deploy.sh", "{env}"] },
        search_docs: { command: ["./deploy.sh", "{q}"] },
      },
    },
  });
  writeFileSync(
    join(ws.dir, "deploy.sh"),
    `#!/bin/sh\nsleep 0.3\necho "$1 $WARRANT_ACTION_ID" >> runs.log\necho "deployed $1"\n`,
    { mode: 0o755 },
  );
  writeFileSync(log(), "");
});
afterAll(() => ws.cleanup());

const cli = (...args: string[]) => runCli([...args, "--config", ws.configPath], { cwd: ws.dir });

describe("exec and resume of declared tools", () => {
  test("an allowed tool runs at once (exit 0) and prints its output", async () => {
    const r = await cli("exec", "search_docs", "--args", '{"q":"refunds"}');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deployed refunds");
    expect(runs().filter((l) => l.startsWith("refunds"))).toHaveLength(1);
  });

  test("held → exit 5 with the request id; two racing resumes run it once", async () => {
    const held = await cli("exec", "deploy", "--args", '{"env":"prod"}', "--json");
    expect(held.code).toBe(5);
    const o = JSON.parse(held.stdout) as { action_id: string; request_id: string };
    const early = await cli("resume", o.action_id);
    expect(early.code).toBe(5); // still pending: nothing runs
    const ap = await runCli([
      "approve",
      o.request_id,
      "--key",
      ws.keys.bob!.path,
      "--config",
      ws.configPath,
    ]);
    expect(ap.code).toBe(0);
    const [a, b] = await Promise.all([
      cli("resume", o.action_id, "--json"),
      cli("resume", o.action_id, "--json"),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    for (const r of [a, b]) {
      expect(JSON.parse(r.stdout)).toMatchObject({ phase: "completed", action_id: o.action_id });
    }
    expect(runs().filter((l) => l.includes(o.action_id))).toHaveLength(1);
    const again = await cli("resume", o.action_id);
    expect(again.code).toBe(0);
    expect(runs().filter((l) => l.includes(o.action_id))).toHaveLength(1);
  });

  test("a hook session cannot resume a declared tool's action (nothing is consumed)", async () => {
    const held = await cli("exec", "deploy", "--args", '{"env":"prod"}', "--json");
    const o = JSON.parse(held.stdout) as { action_id: string; request_id: string };
    expect(
      (await runCli([
        "approve",
        o.request_id,
        "--key",
        ws.keys.bob!.path,
        "--config",
        ws.configPath,
      ])).code,
    ).toBe(0);
    const gate = await spawnGate(ws.configPath);
    await gate.registerTool("deploy", () => "the hook's own body");
    expect(await gate.resume(o.action_id, o.request_id)).toMatchObject({
      phase: "rejected",
      kind: "precondition_failed",
    });
    expect(await gate.close()).toBe(0);
    const r = await cli("resume", o.action_id, "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({
      phase: "completed",
      output: { stdout: "deployed prod\n" },
    });
    expect(runs().filter((l) => l.includes(o.action_id))).toHaveLength(1);
  });

  test("a declared tool never sees the data key or the HTTP token", async () => {
    const dir = await makeWorkspace({
      signed: true,
      keys: APPROVERS,
      policy: (k) => e2ePolicy(k),
      config: {
        store: { path: ".warrant/warrant.db", encryption_key_env: "WARRANT_DATA_KEY" },
        http: { listen: "127.0.0.1:8787", token_env: "WARRANT_HTTP_TOKEN" },
        tools: {
          search_docs: {
            command: [
              "sh",
              "-c",
              "echo key=${WARRANT_DATA_KEY:-none} token=${WARRANT_HTTP_TOKEN:-none} other=$OTHER",
            ],
            env: ["OTHER"],
          },
        },
      },
    });
    try {
      const r = await runCli(["exec", "search_docs", "--args", "{}", "--config", dir.configPath], {
        cwd: dir.dir,
        env: { WARRANT_DATA_KEY: "11".repeat(32), WARRANT_HTTP_TOKEN: "s3cret", OTHER: "kept" },
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("key=none token=none other=kept");
    } finally {
      dir.cleanup();
    }
  });

  test("a declared tool gets only PATH, HOME, LANG, TZ, WARRANT_ACTION_ID and what it names", async () => {
    const dir = await makeWorkspace({
      signed: true,
      keys: APPROVERS,
      policy: (k) => e2ePolicy(k),
      config: {
        // No http block and no token_env: the token must still not leak.
        tools: {
          search_docs: { command: ["sh", "-c", "env"], env: ["NAMED_ONE"] },
          read_file: { command: ["printf", "%s|", "{path}"] },
        },
      },
    });
    try {
      const env = {
        MY_AWS_SECRET_ACCESS_KEY: "planted-aws",
        WARRANT_HTTP_TOKEN: "planted-token",
        NAMED_ONE: "named-value",
        LANG: "C.UTF-8",
      };
      const r = await runCli(["exec", "search_docs", "--args", "{}", "--config", dir.configPath], {
        cwd: dir.dir,
        env,
      });
      expect(r.code).toBe(0);
      const names = r.stdout.split("\n").filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
        .map((l) => l.slice(0, l.indexOf("=")));
      // sh itself may add PWD, SHLVL and "_"; nothing else comes from warrant.
      const fromWarrant = names.filter((n) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(n));
      expect(fromWarrant.sort()).toEqual(
        [
          "HOME",
          "LANG",
          "NAMED_ONE",
          "PATH",
          "WARRANT_ACTION_ID",
          ...(process.env.TZ ? ["TZ"] : []),
        ]
          .sort(),
      );
      expect(r.stdout).not.toContain("planted-aws");
      expect(r.stdout).not.toContain("planted-token");
      expect(r.stdout).toContain("NAMED_ONE=named-value");

      // A placeholder value that begins with "-" is refused before anything is proposed.
      const dash = await runCli(
        ["exec", "read_file", "--args", '{"path":"--help"}', "--config", dir.configPath, "--json"],
        { cwd: dir.dir },
      );
      expect(dash.code).toBe(1);
      expect(dash.stderr).toContain("invalid_argument");
      expect(dash.stderr).toContain("allow_dash_args");
      const ok = await runCli(
        ["exec", "read_file", "--args", '{"path":"notes.txt"}', "--config", dir.configPath],
        { cwd: dir.dir },
      );
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain("notes.txt|");
    } finally {
      dir.cleanup();
    }
  });

  test("a repeated idempotency key returns the first action", async () => {
    const a = await cli(
      "exec",
      "deploy",
      "--args",
      '{"env":"staging"}',
      "--idempotency-key",
      "k-1",
      "--json",
    );
    const b = await cli(
      "exec",
      "deploy",
      "--args",
      '{"env":"staging"}',
      "--idempotency-key",
      "k-1",
      "--json",
    );
    expect(JSON.parse(a.stdout).action_id).toBe(JSON.parse(b.stdout).action_id);
  });

  test("repeating an approved exec by idempotency key reports it and runs nothing", async () => {
    const a = await cli(
      "exec",
      "deploy",
      "--args",
      '{"env":"staging"}',
      "--idempotency-key",
      "k-2",
      "--json",
    );
    const o = JSON.parse(a.stdout) as { action_id: string; request_id: string };
    expect(
      (await runCli([
        "approve",
        o.request_id,
        "--key",
        ws.keys.bob!.path,
        "--config",
        ws.configPath,
      ])).code,
    ).toBe(0);
    const again = await cli(
      "exec",
      "deploy",
      "--args",
      '{"env":"staging"}',
      "--idempotency-key",
      "k-2",
      "--json",
    );
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stdout)).toMatchObject({
      action_id: o.action_id,
      kind: "precondition_failed",
    });
    expect(runs().filter((l) => l.includes(o.action_id))).toHaveLength(0);
    expect((await cli("resume", o.action_id)).code).toBe(0);
    expect(runs().filter((l) => l.includes(o.action_id))).toHaveLength(1);
  });

  test("a tool that is not declared is refused (exit 3)", async () => {
    const r = await cli("exec", "rm_everything", "--args", "{}");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("not declared");
  });

  test("a missing template argument is refused before anything is proposed", async () => {
    const r = await cli("exec", "deploy", "--args", "{}");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('needs argument "env"');
  });
});
