import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isWarrantError } from "../../../src/core/errors.ts";
import { compilePolicy } from "../../../src/core/policy/compile.ts";
import { lintPolicy } from "../../../src/core/policy/lint.ts";
import { parsePolicyDocument } from "../../../src/core/policy/schema.ts";

const example = JSON.parse(
  readFileSync(join(import.meta.dir, "../../../policies/acme.policy.json"), "utf8"),
);
const KEY = example.approvers.alice.key;
const base = {
  policy: "t",
  version: 1,
  default: "deny",
  approvers: { alice: { key: KEY, roles: ["finance"] } },
};

function refused(doc: unknown): { code: string; message: string } {
  try {
    parsePolicyDocument(
      typeof doc === "string" ? doc : JSON.stringify(doc),
      "policies/t.policy.json",
    );
  } catch (e) {
    if (isWarrantError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("policy schema", () => {
  test("the example policy parses and compiles", () => {
    const p = compilePolicy(parsePolicyDocument(JSON.stringify(example), "acme.policy.json"));
    expect(p.id).toBe("acme-agents");
    expect(p.requiredLevel("search_docs")).toBe(0);
    expect(p.requiredLevel("shell")).toBe(2);
    expect(p.requiredLevel("send_payment")).toBe(3);
    expect(p.requiredLevel("unknown_tool")).toBe(4);
    expect(p.requiredLevel("__proto__")).toBe(4);
  });

  test.each([
    ["bad JSON", "{", "policy_json_invalid", /policies\/t\.policy\.json/],
    ["duplicate keys", '{"policy":"a","policy":"b"}', "policy_json_invalid", /duplicate/i],
    [
      "unknown field",
      { ...base, rules: [], extra: 1 },
      "policy_schema_invalid",
      /extra: unknown field/,
    ],
    [
      "unknown rule field",
      { ...base, rules: [{ id: "a", tool: "x", effect: "allow", efect: 1 }] },
      "policy_schema_invalid",
      /rules\[0\]\.efect/,
    ],
    [
      "number as string",
      {
        ...base,
        rules: [{ id: "a", tool: "x", effect: "allow", when: { amount: { lte: "100" } } }],
      },
      "policy_schema_invalid",
      /rules\[0\]\.when\.amount\.lte: expected a number/,
    ],
    [
      "unknown operator",
      { ...base, rules: [{ id: "a", tool: "x", effect: "allow", when: { amount: { less: 1 } } }] },
      "policy_schema_invalid",
      /unknown operator "less"/,
    ],
    [
      "duplicate rule ids",
      {
        ...base,
        rules: [{ id: "a", tool: "x", effect: "allow" }, { id: "a", tool: "y", effect: "deny" }],
      },
      "policy_schema_invalid",
      /rules\[1\]\.id: duplicate rule id/,
    ],
    [
      "hold without approval",
      { ...base, rules: [{ id: "a", tool: "x", effect: "hold" }] },
      "policy_schema_invalid",
      /needs "approval"/,
    ],
    [
      "unknown role",
      {
        ...base,
        rules: [{ id: "a", tool: "x", effect: "hold", approval: { quorum: 1, roles: ["legal"] } }],
      },
      "policy_schema_invalid",
      /no approver holds role "legal"/,
    ],
    [
      "quorum larger than the approvers",
      {
        ...base,
        rules: [{
          id: "a",
          tool: "x",
          effect: "hold",
          approval: { quorum: 3, roles: ["finance"] },
        }],
      },
      "policy_schema_invalid",
      /quorum 3 but only 1/,
    ],
    [
      "unknown budget",
      {
        ...base,
        rules: [{ id: "a", tool: "x", effect: "allow", spend: { budget: "usd", amount: "a" } }],
      },
      "policy_schema_invalid",
      /unknown budget "usd"/,
    ],
    [
      "unsafe regex",
      {
        ...base,
        rules: [{ id: "a", tool: "x", effect: "deny", when: { s: { regex: "(a)\\1" } } }],
      },
      "policy_schema_invalid",
      /backreferences/,
    ],
    [
      "bad duration",
      {
        ...base,
        rules: [{
          id: "a",
          tool: "x",
          effect: "allow",
          rate: { max: 1, window: "1 minute", scope: "session" },
        }],
      },
      "policy_schema_invalid",
      /rate\.window/,
    ],
    [
      "bad approver key",
      { ...base, approvers: { alice: { key: "ed25519:AAAA", roles: ["x"] } }, rules: [] },
      "policy_schema_invalid",
      /approvers\.alice\.key/,
    ],
  ])("%s → %s with the path", (_n, doc, code, re) => {
    const r = refused(doc);
    expect(r.code).toBe(code);
    expect(r.message).toMatch(re);
    expect(r.message).toContain("policies/t.policy.json");
  });
});

describe("policy check findings", () => {
  const lint = (rules: unknown[], def = "deny") =>
    lintPolicy(
      compilePolicy(
        parsePolicyDocument(JSON.stringify({ ...base, default: def, rules }), "t.json"),
      ),
    );
  test("contradictory bounds can never match", () => {
    const f = lint([{ id: "a", tool: "x", effect: "allow", when: { n: { gt: 100, lt: 50 } } }]);
    expect(f[0]).toMatchObject({ level: "error", rule: "a" });
    expect(f[0]!.message).toContain("can never match");
  });
  test("in: [] can never match", () => {
    expect(lint([{ id: "a", tool: "x", effect: "allow", when: { n: { in: [] } } }])[0]!.rule).toBe(
      "a",
    );
  });
  test("a rule shadowed by a broader unconditional deny", () => {
    const f = lint([{ id: "no-reads", tool: "read_*", effect: "deny" }, {
      id: "r",
      tool: "read_file",
      effect: "allow",
    }]);
    expect(f.map((x) => x.rule)).toContain("r");
    expect(f.find((x) => x.rule === "r")!.message).toContain("unreachable");
  });
  test("a default that allows everything is a warning", () => {
    expect(lint([], "allow")).toEqual([{
      level: "warning",
      rule: null,
      message: expect.stringContaining('"allow"'),
    }]);
  });
  test("a clean policy has no findings", () => {
    expect(lint([{ id: "a", tool: "x", effect: "allow", when: { n: { gte: 1, lte: 1 } } }]))
      .toEqual([]);
  });
});
