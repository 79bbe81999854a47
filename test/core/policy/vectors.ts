/**
 * The policy decision vectors (test/vectors/policies/*.json), runnable by
 * any test runner: Bun here, Deno in test/deno/policy.deno.ts.
 */
import { compilePolicy } from "../../../src/core/policy/compile.ts";
import { evaluate } from "../../../src/core/policy/evaluate.ts";
import { parsePolicyDocument } from "../../../src/core/policy/schema.ts";

export interface VectorCase {
  name: string;
  tool: string;
  args: Record<string, unknown>;
  session_id?: string;
  project?: string;
  by_default?: boolean;
  counters?: { spent?: Record<string, number>; hits?: Record<string, number> };
  expect: { effect: string; rules?: string[]; kind?: string };
}

export interface VectorFile {
  name: string;
  policy: unknown;
  cases: VectorCase[];
}

export const VECTOR_FILES = ["operators", "precedence", "budgets"];

/** Run one vector; returns a problem description, or null when it passes. */
export function runVector(file: VectorFile, c: VectorCase): string | null {
  const policy = compilePolicy(
    parsePolicyDocument(JSON.stringify(file.policy), `${file.name}.json`),
  );
  const d = evaluate(policy, {
    tool: c.tool,
    args: c.args,
    session_id: c.session_id ?? "s",
    project: c.project ?? "p",
  }, {
    now: 0,
    counters: {
      spent: (k) => c.counters?.spent?.[k] ?? 0,
      hits: (k) => c.counters?.hits?.[k] ?? 0,
    },
  });
  const problems: string[] = [];
  if (d.effect !== c.expect.effect) {
    problems.push(`effect ${d.effect} (expected ${c.expect.effect}; ${d.reason})`);
  }
  if (c.expect.rules && JSON.stringify(d.rules) !== JSON.stringify([...c.expect.rules].sort())) {
    problems.push(`rules ${JSON.stringify(d.rules)} (expected ${JSON.stringify(c.expect.rules)})`);
  }
  if (c.expect.kind !== undefined && d.kind !== c.expect.kind) {
    problems.push(`kind ${d.kind} (expected ${c.expect.kind})`);
  }
  if (c.by_default !== undefined && d.by_default !== c.by_default) {
    problems.push(`by_default ${d.by_default}`);
  }
  return problems.length > 0 ? problems.join("; ") : null;
}
