import { expect, test } from "bun:test";
import { EXIT_FOR_CODE } from "../../src/cli/exit-codes.ts";
import { runCli } from "../../src/cli/run.ts";
import { ERROR_CODES } from "../../src/core/errors.ts";
import { VERBS } from "../../src/cli/verbs/all.ts";
import { loadAllVerbs, VERB_MODULES, verbsFor } from "../../src/cli/verbs/lazy.ts";
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

test("warrant help VERB prints the verb's help, like VERB --help", async () => {
  for (const v of VERBS) {
    const a = capture();
    const b = capture();
    expect(await runCli(["help", ...v.name.split(" ")], a.io)).toBe(0);
    expect(await runCli([...v.name.split(" "), "--help"], b.io)).toBe(0);
    expect(a.out.join("\n")).toBe(b.out.join("\n"));
  }
});

test("warrant GROUP --help and warrant help GROUP list the group's verbs (exit 0)", async () => {
  const groups = [
    ...new Set(VERBS.filter((v) => v.name.includes(" ")).map((v) => v.name.split(" ")[0]!)),
  ];
  expect(groups).toContain("policy");
  for (const g of groups) {
    const a = capture();
    const b = capture();
    expect(await runCli([g, "--help"], a.io)).toBe(0);
    expect(await runCli(["help", g], b.io)).toBe(0);
    expect(a.out.join("\n")).toBe(b.out.join("\n"));
    for (const v of VERBS.filter((v) => v.name.startsWith(`${g} `))) {
      expect(a.out.join("\n")).toContain(`warrant ${v.name}`);
    }
  }
});

test("warrant help NONSENSE is a usage error naming it", async () => {
  const c = capture();
  expect(await runCli(["help", "frobnicate"], c.io)).toBe(2);
  expect(c.err.join("\n")).toContain('"frobnicate"');
});

test("every error code has an exit code: not-found codes exit 3, a closed request 4, the others 1", () => {
  for (const code of ERROR_CODES) {
    const want = /(^|_)not_found$/.test(code) ? 3 : code === "request_closed" ? 4 : 1;
    expect([code, EXIT_FOR_CODE[code]]).toEqual([code, want]);
  }
});

test("the lazy verb table (verbs/lazy.ts) names each module's verbs, in the order of all.ts", async () => {
  for (const m of VERB_MODULES) {
    expect((await m.load()).map((v) => v.name)).toEqual([...m.names]);
  }
  expect((await loadAllVerbs()).map((v) => v.name)).toEqual(VERBS.map((v) => v.name));
  // Each verb resolves to the module that holds it (and a group or an unknown word to all).
  for (const v of VERBS) {
    expect((await verbsFor([...v.name.split(" "), "--flag"])).map((x) => x.name)).toContain(v.name);
  }
  expect((await verbsFor(["policy"])).length).toBe(VERBS.length);
});
