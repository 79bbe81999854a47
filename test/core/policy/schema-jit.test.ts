/**
 * parsePolicyDocument validates small documents with zod's interpreter
 * (jitless) and large ones with its compiled fast path: the two must agree
 * on every document, accepted or refused, with the same data or issues.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PolicySchema } from "../../../src/core/policy/schema.ts";

const example = JSON.parse(
  readFileSync(join(import.meta.dir, "../../../policies/acme.policy.json"), "utf8"),
) as Record<string, unknown> & { rules: Array<Record<string, unknown>> };

/** The example, and variants that break one rule of the schema each. */
const DOCS: Array<[string, unknown]> = [
  ["the example", example],
  ["an unknown top-level field", { ...example, extra: 1 }],
  ["a rule with an unknown field", { ...example, rules: [{ ...example.rules[0], bogus: true }] }],
  ["a version that is not an integer", { ...example, version: 1.5 }],
  ["a default outside the enum", { ...example, default: "maybe" }],
  ["rules that are not an array", { ...example, rules: {} }],
  ["an approver without roles", { ...example, approvers: { x: { key: "ed25519:AA==" } } }],
  ["a null document", null],
  ["1,000 copies of the example's rules", {
    ...example,
    rules: Array.from(
      { length: 1000 },
      (_, i) => ({ ...example.rules[i % example.rules.length], id: `r${i}` }),
    ),
  }],
];

test.each(DOCS)("jitless and compiled validation agree: %s", (_name, doc) => {
  const a = PolicySchema.safeParse(doc, { jitless: true });
  const b = PolicySchema.safeParse(doc, { jitless: false });
  // Twice the compiled path: the first call compiles, the second runs compiled code.
  const c = PolicySchema.safeParse(doc, { jitless: false });
  for (const other of [b, c]) {
    expect(other.success).toBe(a.success);
    if (a.success && other.success) expect(other.data).toEqual(a.data);
    if (!a.success && !other.success) expect(other.error.issues).toEqual(a.error.issues);
  }
});
