/**
 * The policy document (SPEC §4): strict zod schema for the structure, then
 * the checks zod cannot express (unique rule ids, known budgets and roles,
 * valid conditions and patterns), every one reported with its JSON path.
 */
import * as z from "zod/mini";
import { parseJsonStrict } from "../canonical-json.ts";
import { isWarrantError, WarrantError } from "../errors.ts";
import { parsePublicKey } from "../keys.ts";
import { zodMessages } from "../zod-messages.ts";
import { DURATION_RE, durationMs } from "./duration.ts";
import { GLOB_MAX_PATTERN } from "./glob.ts";
import { compileLinearRegex } from "./linear-regex.ts";

export { durationMs };

// zod's "mini" build (as app/config.ts): the same checks and messages,
// built ~3x faster at every start.
zodMessages();

const duration = z.string().check(z.regex(
  DURATION_RE,
  'must be a duration such as "30s", "15m", "24h" or "7d"',
));
const name = z.string().check(z.regex(
  /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
  "must be 1-64 letters, digits, . _ @ -",
));
const toolPattern = z.string().check(z.minLength(1), z.maxLength(GLOB_MAX_PATTERN));
const scope = z.enum(["project", "session", "tool"]);
const int = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));
const names = () => z.array(name).check(z.minLength(1), z.maxLength(64));

const RuleSchema = z.strictObject({
  id: name,
  description: z.optional(z.string().check(z.maxLength(1000))),
  tool: z.union([toolPattern, z.array(toolPattern).check(z.minLength(1), z.maxLength(256))]),
  when: z.optional(z.record(z.string(), z.unknown())),
  effect: z.enum(["allow", "hold", "deny"]),
  reason: z.optional(z.string().check(z.maxLength(1000))),
  spend: z.optional(z.strictObject({
    budget: name,
    amount: z.union([
      z.string().check(z.minLength(1), z.maxLength(256)),
      z.number().check(z.nonnegative()),
    ]),
  })),
  rate: z.optional(z.strictObject({ max: int(1, 1_000_000), window: duration, scope })),
  approval: z.optional(z.strictObject({
    quorum: int(1, 64),
    roles: names(),
    timeout: z.optional(duration),
  })),
});

export const PolicySchema = z.strictObject({
  policy: name,
  version: int(1, Number.MAX_SAFE_INTEGER),
  description: z.optional(z.string().check(z.maxLength(4000))),
  default: z.enum(["allow", "deny"]),
  expires: z.optional(z.iso.datetime({ offset: true })),
  /**
   * The timeout of this policy's holds when a rule gives none (else the
   * gate's default). 0: a hold is rejected at once (approval_required), as
   * Lodestar's approval_timeout_ms: 0; hold rules then need no approval.
   */
  hold_timeout: z.optional(z.union([z.literal(0), duration])),
  approvers: z._default(
    z.record(name, z.strictObject({ key: z.string(), roles: names() })),
    {},
  ),
  budgets: z._default(
    z.record(
      name,
      z.strictObject({ limit: z.number().check(z.positive()), window: duration, scope }),
    ),
    {},
  ),
  rules: z.array(RuleSchema).check(z.maxLength(100_000)),
});

export type PolicyDocument = z.infer<typeof PolicySchema>;
export type PolicyRule = z.infer<typeof RuleSchema>;

export const OPERATORS = [
  "eq",
  "ne",
  "in",
  "nin",
  "lt",
  "lte",
  "gt",
  "gte",
  "glob",
  "prefix",
  "suffix",
  "contains",
  "exists",
  "regex",
] as const;
export type Operator = typeof OPERATORS[number];
export const COMBINATORS = ["all", "any", "not"] as const;
const MAX_CONDITION_DEPTH = 16;

export interface Issue {
  path: string;
  message: string;
}

function jsonPath(path: PropertyKey[]): string {
  let s = "";
  for (const k of path) {
    s += typeof k === "number" ? `[${k}]` : s === "" ? String(k) : `.${String(k)}`;
  }
  return s || "(top level)";
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Validate one operator's operand. */
function checkOperand(op: Operator, v: unknown, path: string, issues: Issue[]): void {
  const bad = (expected: string): void => {
    issues.push({
      path,
      message: `expected ${expected}, got ${JSON.stringify(v)?.slice(0, 60) ?? String(v)}`,
    });
  };
  switch (op) {
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      if (typeof v !== "number" || !Number.isFinite(v)) bad("a number (without quotes)");
      return;
    case "in":
    case "nin":
      if (!Array.isArray(v) || v.length > 10_000) bad("an array of values");
      return;
    case "exists":
      if (typeof v !== "boolean") bad("true or false");
      return;
    case "glob":
      if (typeof v !== "string" || v.length > GLOB_MAX_PATTERN) {
        bad(`a string of at most ${GLOB_MAX_PATTERN} characters`);
      }
      return;
    case "prefix":
    case "suffix":
      if (typeof v !== "string") bad("a string");
      return;
    case "contains":
      if (v === undefined) bad("a value");
      return;
    case "regex":
      if (typeof v !== "string") return bad("a string");
      try {
        compileLinearRegex(v);
      } catch (e) {
        if (!isWarrantError(e)) throw e;
        issues.push({
          path,
          message: `${e.message} (regexes run in linear time; see the README's safe subset)`,
        });
      }
      return;
    case "eq":
    case "ne":
      return;
  }
}

/** Validate a `when` condition tree. */
export function checkCondition(c: unknown, path: string, issues: Issue[], depth = 0): void {
  if (depth > MAX_CONDITION_DEPTH) {
    issues.push({ path, message: `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels` });
    return;
  }
  if (!isObj(c) || Object.keys(c).length === 0) {
    issues.push({ path, message: 'expected a condition object such as {"amount": {"lte": 100}}' });
    return;
  }
  for (const [key, v] of Object.entries(c)) {
    const p = `${path}.${key}`;
    if (key === "all" || key === "any") {
      if (!Array.isArray(v) || v.length === 0) {
        issues.push({ path: p, message: "expected a non-empty array of conditions" });
      } else v.forEach((x, i) => checkCondition(x, `${p}[${i}]`, issues, depth + 1));
    } else if (key === "not") checkCondition(v, p, issues, depth + 1);
    else {
      if (key === "" || key.split(".").some((s) => s === "")) {
        issues.push({
          path: p,
          message: 'an argument path is dot-separated names, e.g. "payee.country"',
        });
        continue;
      }
      if (!isObj(v) || Object.keys(v).length === 0) {
        issues.push({
          path: p,
          message: `expected operators, e.g. {"eq": ...}; operators: ${OPERATORS.join(" ")}`,
        });
        continue;
      }
      for (const [op, operand] of Object.entries(v)) {
        if (!(OPERATORS as readonly string[]).includes(op)) {
          issues.push({
            path: `${p}.${op}`,
            message: `unknown operator "${op}"; use one of ${OPERATORS.join(" ")}`,
          });
        } else checkOperand(op as Operator, operand, `${p}.${op}`, issues);
      }
    }
  }
}

/**
 * Approvers listed with the same public key (in any spelling: text or PEM).
 * A quorum counts people, and a key is a person: one key under two names
 * would let one signature count twice. Keys that do not parse are skipped
 * (reported elsewhere). Each issue names both entries.
 *
 * @example sharedKeyIssues({ alice: { key: K }, "alice-backup": { key: K } })
 *   // → [{ path: "approvers.alice-backup.key", message: 'approvers "alice" and "alice-backup" have the same public key; …' }]
 */
export function sharedKeyIssues(approvers: Readonly<Record<string, { key: unknown }>>): Issue[] {
  const issues: Issue[] = [];
  const owner = new Map<string, string>();
  for (const [n, a] of Object.entries(approvers)) {
    let k: string;
    try {
      k = parsePublicKey(String(a?.key)).join(",");
    } catch {
      continue;
    }
    const first = owner.get(k);
    if (first === undefined) owner.set(k, n);
    else {
      issues.push({
        path: `approvers.${n}.key`,
        message:
          `approvers "${first}" and "${n}" have the same public key; a quorum counts distinct keys, ` +
          `so give each approver their own key (or list the person once)`,
      });
    }
  }
  return issues;
}

/** The semantic checks, after the structure is known to be right. */
function semanticIssues(doc: PolicyDocument): Issue[] {
  const issues: Issue[] = sharedKeyIssues(doc.approvers);
  const roles = new Set<string>();
  for (const [n, a] of Object.entries(doc.approvers)) {
    for (const r of a.roles) roles.add(r);
    try {
      parsePublicKey(a.key);
    } catch (e) {
      issues.push({
        path: `approvers.${n}.key`,
        message: isWarrantError(e) ? e.message : String(e),
      });
    }
  }
  const ids = new Set<string>();
  doc.rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    if (ids.has(r.id)) {
      issues.push({
        path: `${at}.id`,
        message: `duplicate rule id "${r.id}"; rule ids must be unique`,
      });
    }
    ids.add(r.id);
    if (r.effect === "hold" && !r.approval && doc.hold_timeout !== 0) {
      issues.push({
        path: `${at}.approval`,
        message:
          'a "hold" rule needs "approval": {"quorum", "roles"} (unless the policy\'s hold_timeout is 0)',
      });
    }
    if (r.effect !== "hold" && r.approval) {
      issues.push({
        path: `${at}.approval`,
        message: `only "hold" rules take "approval" (this rule is "${r.effect}")`,
      });
    }
    if (r.effect === "deny" && (r.spend || r.rate)) {
      issues.push({
        path: `${at}.${r.spend ? "spend" : "rate"}`,
        message: "a deny rule cannot spend or rate-limit",
      });
    }
    if (r.spend && !Object.hasOwn(doc.budgets, r.spend.budget)) {
      issues.push({
        path: `${at}.spend.budget`,
        message: `unknown budget "${r.spend.budget}"; declare it under "budgets"`,
      });
    }
    for (const [j, role] of (r.approval?.roles ?? []).entries()) {
      if (!roles.has(role)) {
        issues.push({
          path: `${at}.approval.roles[${j}]`,
          message:
            `no approver holds role "${role}", so this hold could never be approved; add it to an approver`,
        });
      }
    }
    if (r.approval) {
      const eligible = Object.values(doc.approvers).filter((a) =>
        a.roles.some((x) => r.approval!.roles.includes(x))
      );
      if (eligible.length > 0 && eligible.length < r.approval.quorum) {
        issues.push({
          path: `${at}.approval.quorum`,
          message: `quorum ${r.approval.quorum} but only ${eligible.length} approver(s) hold ${
            r.approval.roles.join("|")
          }`,
        });
      }
    }
    if (r.when) checkCondition(r.when, `${at}.when`, issues);
  });
  return issues;
}

function refuse(file: string, issue: Issue): never {
  throw new WarrantError(
    "policy_schema_invalid",
    `Cannot load policy ${file}: ${issue.path}: ${issue.message}`,
    { path: issue.path },
  );
}

/**
 * Documents up to this size are validated without zod's compiled fast path
 * (`jitless`): compiling it costs a few ms once per process, which a gate
 * start pays in full for a policy of a few rules, while interpreting a small
 * document costs far less. Large documents (thousands of rules) keep the
 * compiled path, which pays for itself over many rule objects. The accept
 * set is the same either way (the same schema, two ways of running it).
 */
const JIT_FROM_CHARS = 32 * 1024;

/**
 * Parse a policy file's text: JSON without duplicate keys, the strict
 * schema, then semantic checks. Throws policy_json_invalid or
 * policy_schema_invalid naming the file, the JSON path and the fix.
 *
 * @example parsePolicyDocument(text, "policies/acme.policy.json").rules.length
 */
export function parsePolicyDocument(text: string, file: string): PolicyDocument {
  let raw: unknown;
  try {
    raw = parseJsonStrict(text, 64);
  } catch (e) {
    throw new WarrantError(
      "policy_json_invalid",
      `Cannot load policy ${file}: ${e instanceof Error ? e.message : String(e)}; fix the JSON`,
    );
  }
  const r = PolicySchema.safeParse(raw, { jitless: text.length <= JIT_FROM_CHARS });
  if (!r.success) {
    const i = r.error.issues[0]!;
    if (i.code === "unrecognized_keys") {
      const k = (i as { keys: string[] }).keys[0]!;
      refuse(file, {
        path: jsonPath([...i.path, k]),
        message: `unknown field "${k}"; remove it (see the README's policy reference)`,
      });
    }
    refuse(file, { path: jsonPath(i.path), message: i.message });
  }
  const issues = semanticIssues(r.data);
  if (issues.length > 0) refuse(file, issues[0]!);
  return r.data;
}

/** Every problem with a document (not just the first), for `policy check`. */
export function policyIssues(text: string, file: string): Array<{ path: string; message: string }> {
  let raw: unknown;
  try {
    raw = parseJsonStrict(text, 64);
  } catch (e) {
    return [{
      path: "(file)",
      message: `${e instanceof Error ? e.message : String(e)} in ${file}`,
    }];
  }
  const r = PolicySchema.safeParse(raw, { jitless: text.length <= JIT_FROM_CHARS });
  if (!r.success) {
    return r.error.issues.map((i) => ({
      path: jsonPath(
        i.code === "unrecognized_keys" ? [...i.path, (i as { keys: string[] }).keys[0]!] : i.path,
      ),
      message: i.code === "unrecognized_keys"
        ? `unknown field(s) ${(i as { keys: string[] }).keys.join(", ")}`
        : i.message,
    }));
  }
  return semanticIssues(r.data);
}
