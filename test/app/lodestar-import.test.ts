/**
 * The Lodestar translation, unit level: Lodestar's glob (anchored, `*`
 * only), and the translated policy deciding each declared tool exactly as
 * the static Lodestar evaluation says, under warrant's own evaluator.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lodestarGlob } from "../../src/app/lodestar/evaluate.ts";
import {
  LodestarConfigSchema,
  LodestarPolicySchema,
  parseLodestar,
} from "../../src/app/lodestar/schema.ts";
import { durationText, translateLodestar, warrantName } from "../../src/app/lodestar/translate.ts";
import { compilePolicy } from "../../src/core/policy/compile.ts";
import { evaluate } from "../../src/core/policy/evaluate.ts";
import { parsePolicyDocument } from "../../src/core/policy/schema.ts";

const V = join(import.meta.dir, "../vectors/lodestar");
const read = (f: string) => JSON.parse(readFileSync(join(V, f), "utf8"));

test.each([
  ["runtime.*", "runtime.echo", true],
  ["runtime.*", "echo", false],
  ["*", "runtime.echo", true],
  ["runtime.wire_*", "runtime.wire_transfer", true],
  ["runtime.wire_*", "runtime.wire", false],
  ["runtime.ech?", "runtime.echo", false], // ? is literal in Lodestar
  ["*.e*o", "runtime.echo", true],
  ["runtime.echo", "runtime.echo.x", false], // anchored
  ["a*a*a*a*a*b", "a".repeat(200), false],
])("lodestarGlob(%p, %p) = %p", (p, s, want) => {
  expect(lodestarGlob(p, s)).toBe(want);
});

test("the translated payments policy decides every declared tool as Lodestar, under warrant's evaluator", () => {
  const raw = read("payments.config.json");
  const config = parseLodestar(LodestarConfigSchema, raw, "payments.config.json");
  const policy = parseLodestar(
    LodestarPolicySchema,
    read("payments.policy.json"),
    "payments.policy.json",
  );
  const r = translateLodestar({
    config,
    rawKeys: Object.keys(raw),
    policy,
    extraApprovers: [],
    signer: null,
  });
  const compiled = compilePolicy(parsePolicyDocument(JSON.stringify(r.policy), "translated.json"));
  expect(r.verdicts.length).toBe(11);
  for (const v of r.verdicts) {
    const d = evaluate(compiled, { tool: v.tool, args: {} }, {
      now: 0,
      counters: { spent: () => 0, hits: () => 0 },
    });
    // The deciding rule carries Lodestar's reason; Lodestar's structural deny is warrant's default.
    const reasons = d.rules.map((id) => compiled.rules.find((x) => x.id === id)!.reason);
    const sameReason = v.source.kind === "structural_default"
      ? d.by_default
      : reasons.length === 1 && reasons[0] === v.reason;
    expect([v.tool, d.effect, sameReason]).toEqual([v.tool, v.effect, true]);
  }
  expect(r.policy).toMatchObject({
    policy: "payments-policy",
    version: 3,
    hold_timeout: "15m",
    default: "deny",
  });
  expect(Object.keys(r.policy.approvers as object)).toEqual(["alice", "bob@finance"]);
});

test("Lodestar's own refusals are refusals here, with the path", () => {
  const raw = { ...read("strict.config.json"), project_id: "project-stub" };
  expect(() => parseLodestar(LodestarConfigSchema, raw, "x.json")).toThrow(
    /x\.json: project_id: "project-stub" is rejected \(Lodestar refuses this file too\)/,
  );
  const bad = {
    id: "p",
    version: "1",
    rules: [{ match: {}, effect: "allow", reason: "r", approval: {} }],
  };
  expect(() => parseLodestar(LodestarPolicySchema, bad, "p.json")).toThrow(/require_approval/);
});

test("names and durations", () => {
  expect(warrantName("bob@finance")).toBe("bob@finance");
  expect(warrantName("Bob Smith")).toBe("Bob-Smith");
  expect(durationText(900_000)).toBe("15m");
  expect(durationText(300)).toBe("300ms");
  expect(durationText(86_400_000)).toBe("1d");
});
