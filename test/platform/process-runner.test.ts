/**
 * The declared-tool runner (platform/process-runner.ts) in process, with
 * real child processes: argv expansion without a shell, the outcome of a
 * success, a failure (the tool's text in `detail`, never in `message`), a
 * timeout (killed), an undeclared tool, a program that cannot start, the
 * allow-listed environment, the tool's cwd, a refused dash argument, and
 * the 1 MiB output cap. The gate and `warrant exec` reach it only through
 * the ToolRunner port, so this is the whole of its behaviour.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processRunner } from "../../src/platform/process-runner.ts";

const SH = "/bin/sh";
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: "/home/tester",
  MY_AWS_SECRET_ACCESS_KEY: "planted-secret",
  WARRANT_DATA_KEY: "00".repeat(32),
  SHARED_SETTING: "named-in-config",
};
const runner = (tools: Parameters<typeof processRunner>[0], timeoutMs = 10_000, cwd = "/") =>
  processRunner(tools, cwd, timeoutMs, env);
const call = (tool: string, args: Record<string, unknown> = {}) => ({
  action_id: "act_test_1",
  tool,
  args,
});

test("a success: argv filled from the arguments, no shell; stdout, stderr and exit code", async () => {
  const r = await runner({
    echo: { command: ["/bin/echo", "paid {amount} to {to}"] },
  }).run(call("echo", { amount: 73, to: "Bob; rm -rf / $(id)" }));
  expect(r).toEqual({
    ok: true,
    output: {
      exit_code: 0,
      signal: null,
      stdout: "paid 73 to Bob; rm -rf / $(id)\n",
      stderr: "",
    },
  });
});

test("a failure: exit status in warrant's message, the tool's own text only in detail", async () => {
  const r = await runner({
    fail: { command: [SH, "-c", "echo 'db password is TOPSECRET' >&2; exit 3"] },
  }).run(call("fail"));
  expect(r.ok).toBe(false);
  expect(r.message).toBe("exited with 3");
  expect(r.message).not.toContain("TOPSECRET");
  expect(r.detail).toBe("db password is TOPSECRET\n");
});

test("a timeout kills the tool and says so", async () => {
  const t0 = performance.now();
  const r = await runner({ slow: { command: ["/bin/sleep", "30"], timeout_ms: 200 } }).run(
    call("slow"),
  );
  expect(r).toEqual({ ok: false, timed_out: true, message: "timed out after 200 ms; killed" });
  expect(performance.now() - t0).toBeLessThan(10_000);
});

test("an undeclared tool and a program that cannot start are failures, not throws", async () => {
  const r = runner({ missing: { command: ["/nonexistent/program-x"] } });
  expect(await r.run(call("other"))).toEqual({
    ok: false,
    message: 'tool "other" is not declared in the config',
  });
  // an inherited name is not a declared tool either
  expect((await r.run(call("constructor"))).ok).toBe(false);
  const gone = await r.run(call("missing"));
  expect(gone.ok).toBe(false);
  expect(gone.message).toBe("cannot start /nonexistent/program-x");
  expect(gone.detail).toContain("ENOENT");
});

test("the environment is allow-listed: PATH, HOME, the named variables, WARRANT_ACTION_ID", async () => {
  const r = await runner({
    env: { command: ["/usr/bin/env"], env: ["SHARED_SETTING"] },
  }).run(call("env"));
  expect(r.ok).toBe(true);
  const vars = Object.fromEntries(
    (r.output as { stdout: string }).stdout.trim().split("\n").map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
  expect(vars).toEqual({
    PATH: env.PATH,
    HOME: "/home/tester",
    SHARED_SETTING: "named-in-config",
    WARRANT_ACTION_ID: "act_test_1",
  });
});

test("cwd: the tool's own, else the default (the config's folder)", async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "runner-cwd-")));
  try {
    const r = runner(
      { own: { command: ["/bin/pwd"], cwd: dir }, dflt: { command: ["/bin/pwd"] } },
      10_000,
      "/tmp",
    );
    expect(((await r.run(call("own"))).output as { stdout: string }).stdout).toBe(`${dir}\n`);
    expect(((await r.run(call("dflt"))).output as { stdout: string }).stdout).toBe("/tmp\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a value starting with '-' is refused as an argv element unless the tool allows it", async () => {
  const refused = await runner({ ls: { command: ["/bin/echo", "{name}"] } }).run(
    call("ls", { name: "--help" }),
  );
  expect(refused.ok).toBe(false);
  expect(refused.message).toContain("-");
  const allowed = await runner({ ls: { command: ["/bin/echo", "{name}"], allow_dash_args: true } })
    .run(call("ls", { name: "-n" }));
  expect(allowed.ok).toBe(true);
});

test("output is capped at 1 MiB per stream", async () => {
  const r = await runner({
    big: { command: [SH, "-c", "head -c 3000000 /dev/zero | tr '\\0' a"] },
  }).run(call("big"));
  expect(r.ok).toBe(true);
  const out = r.output as { stdout: string };
  expect(out.stdout.length).toBe(1024 * 1024);
  expect(out.stdout).toBe("a".repeat(1024 * 1024));
});
