/**
 * Compile a parsed policy once per load: conditions become closures, and
 * rules are indexed by tool so that a decision touches only the rules that
 * can apply to its tool (exact names in a Map; globs bucketed by their
 * literal prefix; the candidate list per tool name is memoised).
 */
import { formatPublicKey, parsePublicKey } from "../keys.ts";
import { compileCondition } from "./conditions.ts";
import type { Pred } from "./conditions.ts";
import { durationMs } from "./duration.ts";
import { compileGlob, isGlob, literalPrefix } from "./glob.ts";
import type { GlobMatcher } from "./glob.ts";
import type { PolicyDocument, PolicyRule } from "./schema.ts";
import type { Effect, Scope } from "./types.ts";

export interface CompiledRule {
  id: string;
  effect: Effect;
  /** The rule's position in the file (for stable output only: order never changes a decision). */
  index: number;
  source: PolicyRule;
  /** Null when the rule has no `when`. */
  when: Pred | null;
  reason: string | null;
  spend:
    | { budget: string; amount: string | number; limit: number; window_ms: number; scope: Scope }
    | null;
  rate: { max: number; window_ms: number; scope: Scope } | null;
  /** timeout_ms: the rule's, else the policy's hold_timeout (0: rejected at once), else null. */
  approval: { quorum: number; roles: string[]; timeout_ms: number | null } | null;
}

export interface Approver {
  key: string;
  roles: string[];
}

export interface CompiledPolicy {
  id: string;
  version: number;
  default: "allow" | "deny";
  /** ms since epoch, or null. */
  expires: number | null;
  approvers: ReadonlyMap<string, Approver>;
  doc: PolicyDocument;
  rules: readonly CompiledRule[];
  /** The rules that can apply to `tool`, in file order. */
  candidates(tool: string): readonly CompiledRule[];
  /**
   * What the policy demands of a tool, for `registered.required_level`:
   * 0 always allowed; 1 allowed under limits or conditions; 2 may be denied
   * depending on the arguments; 3 may be held for approval depending on the
   * arguments; 4 never runs without a human (always held, or always denied).
   */
  requiredLevel(tool: string): number;
}

const CACHE_MAX = 4096;

function compileRule(r: PolicyRule, index: number, doc: PolicyDocument): CompiledRule {
  const budget = r.spend ? doc.budgets[r.spend.budget]! : null;
  return {
    id: r.id,
    effect: r.effect,
    index,
    source: r,
    when: r.when ? compileCondition(r.when) : null,
    reason: r.reason ?? null,
    spend: r.spend && budget
      ? {
        budget: r.spend.budget,
        amount: r.spend.amount,
        limit: budget.limit,
        window_ms: durationMs(budget.window),
        scope: budget.scope,
      }
      : null,
    rate: r.rate
      ? { max: r.rate.max, window_ms: durationMs(r.rate.window), scope: r.rate.scope }
      : null,
    approval: r.approval
      ? {
        quorum: r.approval.quorum,
        roles: [...r.approval.roles].sort(),
        timeout_ms: r.approval.timeout
          ? durationMs(r.approval.timeout)
          : doc.hold_timeout === undefined
          ? null
          : doc.hold_timeout === 0
          ? 0
          : durationMs(doc.hold_timeout),
      }
      : null,
  };
}

/**
 * Compile a validated document (from parsePolicyDocument). Pure; never
 * throws on a document that parsed.
 *
 * @example compilePolicy(parsePolicyDocument(text, file)).candidates("send_payment")
 */
export function compilePolicy(parsed: PolicyDocument): CompiledPolicy {
  // Every string made anew by JSON.parse. The strict parser
  // (core/canonical-json.ts) returns slices of the file's text, and
  // JavaScriptCore compares such a string with a literal ("deny", "hold")
  // character by character, out of line; JSON.parse's short strings are
  // atoms, compared by pointer. evaluate() compares rule effects on every
  // call: with slices, 10,000 rules decided ~15% slower (bench/policy.ts
  // against the baseline, in-process and interleaved). Once per load: ~1 ms
  // per 1,000 rules.
  const doc = JSON.parse(JSON.stringify(parsed)) as PolicyDocument;
  const rules = doc.rules.map((r, i) => compileRule(r, i, doc));
  const exact = new Map<string, CompiledRule[]>();
  const globsByPrefix = new Map<string, Array<{ rule: CompiledRule; match: GlobMatcher }>>();
  const prefixLengths = new Set<number>();
  for (const rule of rules) {
    const patterns = Array.isArray(rule.source.tool) ? rule.source.tool : [rule.source.tool];
    for (const p of new Set(patterns)) {
      if (!isGlob(p)) {
        const list = exact.get(p) ?? [];
        if (list[list.length - 1] !== rule) list.push(rule);
        exact.set(p, list);
      } else {
        const pre = literalPrefix(p);
        const list = globsByPrefix.get(pre) ?? [];
        list.push({ rule, match: compileGlob(p) });
        globsByPrefix.set(pre, list);
        prefixLengths.add(pre.length);
      }
    }
  }
  const lengths = [...prefixLengths].sort((a, b) => a - b);
  const cache = new Map<string, readonly CompiledRule[]>();

  const candidates = (tool: string): readonly CompiledRule[] => {
    const hit = cache.get(tool);
    if (hit) return hit;
    const found = new Set<CompiledRule>(exact.get(tool) ?? []);
    for (const len of lengths) {
      if (len > tool.length) break;
      for (const g of globsByPrefix.get(tool.slice(0, len)) ?? []) {
        if (g.match(tool)) found.add(g.rule);
      }
    }
    const list = [...found].sort((a, b) => a.index - b.index);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(tool, list);
    return list;
  };

  const requiredLevel = (tool: string): number => {
    const c = candidates(tool);
    if (c.length === 0) return doc.default === "allow" ? 0 : 4;
    if (c.some((r) => r.effect !== "allow" && r.when === null)) return 4;
    if (c.some((r) => r.effect === "hold")) return 3;
    const unconditionalAllow = c.some((r) => r.effect === "allow" && r.when === null);
    if (c.some((r) => r.effect === "deny") || (!unconditionalAllow && doc.default === "deny")) {
      return 2;
    }
    if (!unconditionalAllow || c.some((r) => r.spend || r.rate)) return 1;
    return 0;
  };

  const approvers = new Map<string, Approver>();
  for (const [name, a] of Object.entries(doc.approvers)) {
    // One key format for every consumer (resolution checks, the CLI, HTTP):
    // the schema accepts "ed25519:BASE64" or an SPKI PEM and has validated it.
    approvers.set(name, { key: formatPublicKey(parsePublicKey(a.key)), roles: a.roles });
  }

  return {
    id: doc.policy,
    version: doc.version,
    default: doc.default,
    expires: doc.expires ? Date.parse(doc.expires) : null,
    approvers,
    doc,
    rules,
    candidates,
    requiredLevel,
  };
}
