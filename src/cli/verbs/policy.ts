/**
 * `warrant policy check | test | explain`: what an operator runs before
 * signing a policy.
 */
import type { Files } from "../../app/ports/files.ts";
import { dirname, join, relative, resolve } from "node:path";
import { WarrantError } from "../../core/errors.ts";
import { compilePolicy } from "../../core/policy/compile.ts";
import type { CompiledPolicy } from "../../core/policy/compile.ts";
import { explainCondition } from "../../core/policy/conditions.ts";
import { evaluate } from "../../core/policy/evaluate.ts";
import { lintPolicy } from "../../core/policy/lint.ts";
import { parsePolicyDocument, policyIssues } from "../../core/policy/schema.ts";
import type { Counters } from "../../core/policy/types.ts";
import { configPath } from "./approval.ts";
import { EXIT, flagString, printJson, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";

function readPolicy(fs: Files, file: string): { text: string; policy: CompiledPolicy } {
  let text: string;
  try {
    text = fs.readText(file);
  } catch {
    throw new WarrantError("policy_not_found", `Cannot read policy ${file}: no such file`);
  }
  return { text, policy: compilePolicy(parsePolicyDocument(text, file)) };
}

export const policyCheckVerb: Verb = {
  name: "policy check",
  summary: "check a policy: schema, unknown roles, unreachable and shadowed rules",
  help: `warrant policy check — find mistakes in a policy before signing it

Usage: warrant policy check FILE [--json]

Reports every schema error with its JSON path, holds whose roles no approver
has, rules that can never match (contradictory conditions), rules made
unreachable by a broader unconditional deny, and warns when the default is
"allow". Exit 0 when there is no error (warnings allowed), 1 otherwise.

Example:
  warrant policy check policies/acme.policy.json`,
  flags: {},
  async run(args, io) {
    const file = args.positionals[0];
    if (!file) throw new UsageError("missing FILE");
    const path = resolve(io.cwd, file);
    let text: string;
    try {
      text = io.runtime.files.readText(path);
    } catch {
      throw new WarrantError("policy_not_found", `Cannot read policy ${path}: no such file`);
    }
    const issues = policyIssues(text, path);
    const findings = issues.length > 0
      ? issues.map((i) => ({
        level: "error" as const,
        rule: null,
        message: `${i.path}: ${i.message}`,
      }))
      : lintPolicy(compilePolicy(parsePolicyDocument(text, path)));
    const errors = findings.filter((f) => f.level === "error").length;
    if (args.flags.json) printJson(io, { file: path, ok: errors === 0, findings });
    else {
      for (const f of findings) {
        io.out(`${f.level === "error" ? "ERROR  " : "warning"} ${f.message}`);
      }
      io.out(
        errors === 0
          ? `OK ${path}${findings.length ? ` (${findings.length} warning(s))` : ""}`
          : `${errors} error(s) in ${path}`,
      );
    }
    return errors === 0 ? EXIT.ok : EXIT.error;
  },
};

interface TableCase {
  name: string;
  tool: string;
  args?: Record<string, unknown>;
  session_id?: string;
  counters?: { spent?: Record<string, number>; hits?: Record<string, number> };
  expect: { effect: string; rules?: string[]; kind?: string | null };
}

function findTests(fs: Files, dir: string): string[] {
  const st = fs.stat(dir);
  if (!st) throw new WarrantError("not_found", `no such directory ${dir}`);
  if (!st.isDirectory) return [dir];
  return fs.list(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return fs.stat(p)?.isDirectory ? findTests(fs, p) : n.endsWith(".test.json") ? [p] : [];
  });
}

function tableCounters(c: TableCase["counters"]): Counters {
  return { spent: (k) => c?.spent?.[k] ?? 0, hits: (k) => c?.hits?.[k] ?? 0 };
}

export const policyTestVerb: Verb = {
  name: "policy test",
  summary: "run a policy's table tests (DIR/**/*.test.json)",
  help: `warrant policy test — run table tests against policies

Usage: warrant policy test DIR [--json]

Each *.test.json under DIR names a policy (relative to the test file) and
cases: a call and the expected effect, rules and kind:

  { "policy": "acme.policy.json",
    "cases": [ { "name": "big payment is held", "tool": "send_payment",
                 "args": { "amount": 250 }, "expect": { "effect": "hold", "rules": ["large-payments"] } } ] }

"counters" ({"spent": {KEY: n}, "hits": {KEY: n}}) presets budgets and rates.
Exit 0 when every case passes, 1 otherwise.

Example:
  warrant policy test policies/`,
  flags: {},
  async run(args, io) {
    const dir = args.positionals[0];
    if (!dir) throw new UsageError("missing DIR");
    const fs = io.runtime.files;
    const files = findTests(fs, resolve(io.cwd, dir));
    let passed = 0;
    const failures: Array<{ file: string; name: string; problem: string }> = [];
    for (const file of files) {
      const spec = JSON.parse(fs.readText(file)) as { policy: string; cases: TableCase[] };
      const { policy } = readPolicy(fs, resolve(dirname(file), spec.policy));
      for (const c of spec.cases) {
        const d = evaluate(policy, {
          tool: c.tool,
          args: c.args ?? {},
          session_id: c.session_id ?? "test",
          project: "test",
        }, {
          now: Date.parse("2026-01-01T00:00:00Z"),
          counters: tableCounters(c.counters),
        });
        const problems: string[] = [];
        if (d.effect !== c.expect.effect) {
          problems.push(`effect: expected ${c.expect.effect}, got ${d.effect}`);
        }
        if (
          c.expect.rules && JSON.stringify([...c.expect.rules].sort()) !== JSON.stringify(d.rules)
        ) {
          problems.push(
            `rules: expected ${JSON.stringify(c.expect.rules)}, got ${JSON.stringify(d.rules)}`,
          );
        }
        if (c.expect.kind !== undefined && c.expect.kind !== d.kind) {
          problems.push(`kind: expected ${c.expect.kind}, got ${d.kind}`);
        }
        if (problems.length === 0) {
          passed++;
          if (!args.flags.json) io.out(`PASS ${relative(io.cwd, file)}: ${c.name}`);
        } else {
          failures.push({ file, name: c.name, problem: problems.join("; ") });
          if (!args.flags.json) {
            io.out(
              `FAIL ${relative(io.cwd, file)}: ${c.name}: ${problems.join("; ")} (${d.reason})`,
            );
          }
        }
      }
    }
    if (args.flags.json) printJson(io, { passed, failed: failures.length, failures });
    else io.out(`${passed} passed, ${failures.length} failed`);
    return failures.length === 0 ? EXIT.ok : EXIT.error;
  },
};

export const policyExplainVerb: Verb = {
  name: "policy explain",
  summary: "show the decision for a call, and why each rule did or did not match",
  help: `warrant policy explain — the decision for one call, rule by rule

Usage: warrant policy explain [FILE | --config C] --tool TOOL [--args JSON] [--json]

Budgets and rates are not applied (no store is read). With --config, the
config's policy file is explained.

Example:
  warrant policy explain policies/acme.policy.json --tool send_payment --args '{"amount":250}'`,
  flags: { config: { type: "string" }, tool: { type: "string" }, args: { type: "string" } },
  async run(args, io) {
    const tool = flagString(args, "tool");
    if (!tool) throw new UsageError("missing --tool");
    let callArgs: Record<string, unknown>;
    try {
      callArgs = JSON.parse(flagString(args, "args") ?? "{}");
    } catch (e) {
      throw new UsageError(`--args is not valid JSON: ${(e as Error).message}`);
    }
    const file = args.positionals[0]
      ? resolve(io.cwd, args.positionals[0])
      : io.runtime.loadConfig(configPath(args, io), io.cwd).policy.file;
    const { policy } = readPolicy(io.runtime.files, file);
    const d = evaluate(policy, { tool, args: callArgs }, { now: Date.now() });
    const traces = policy.candidates(tool).map((r) => {
      const why = r.source.when ? explainCondition(r.source.when, callArgs) : [];
      return { rule: r.id, effect: r.effect, matched: why.length === 0, why };
    });
    if (args.flags.json) {
      printJson(io, { decision: d, rules: traces });
      return EXIT.ok;
    }
    io.out(
      `decision  ${d.effect.toUpperCase()}${d.kind ? ` (${d.kind})` : ""}${
        d.by_default ? " by default" : ""
      }`,
    );
    io.out(`reason    ${d.reason}`);
    if (d.approvals.length > 0) {
      for (const a of d.approvals) {
        io.out(
          `approval  ${a.rule}: ${a.quorum} of ${a.roles.join("|")}${
            a.timeout_ms ? ` within ${a.timeout_ms / 60000}m` : ""
          }`,
        );
      }
    }
    io.out(
      `rules for "${tool}" (${traces.length} of ${policy.rules.length}; the others name other tools):`,
    );
    for (const t of traces) {
      io.out(
        `  ${t.matched ? "✓" : "✗"} ${t.rule} (${t.effect})${
          t.matched ? " matches" : `: ${t.why.join("; ")}`
        }`,
      );
    }
    return EXIT.ok;
  },
};

/** The policy verbs, registered by verbs.ts. */
export const policyVerbs: Verb[] = [policyCheckVerb, policyTestVerb, policyExplainVerb];
