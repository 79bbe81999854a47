import { expect, test } from "bun:test";
import { runCli } from "../../src/cli/run.ts";
import { VERBS } from "../../src/cli/verbs/all.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (l: string) => void out.push(l),
      err: (l: string) => void err.push(l),
      env: {},
      cwd: "/tmp",
      runtime: createRuntime(bunPlatform),
    },
  };
}

test.each(VERBS.map((v) => [v.name]))(
  "warrant %s --help prints usage with an example (exit 0)",
  async (name) => {
    const c = capture();
    expect(await runCli([...name.split(" "), "--help"], c.io)).toBe(0);
    const text = c.out.join("\n");
    expect(text).toContain(`warrant ${name}`);
    expect(text).toMatch(/Example/i);
  },
);

test("warrant with no verb is a usage error (exit 2); an unknown verb too", async () => {
  expect(await runCli([], capture().io)).toBe(2);
  const c = capture();
  expect(await runCli(["frobnicate"], c.io)).toBe(2);
  expect(c.err.join("\n")).toContain('unknown verb "frobnicate"');
});

test("an unknown flag is a usage error naming it", async () => {
  const c = capture();
  expect(await runCli(["pending", "--bogus"], c.io)).toBe(2);
  expect(c.err.join("\n")).toContain("--bogus");
});
