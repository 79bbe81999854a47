/**
 * Lodestar's policy evaluation (lodestar-reference §4.2), run statically on
 * the tools an operator declared in `tool_defaults`. A Lodestar rule matches
 * an action's *contract* (trust level, blast radius, reversibility, scope,
 * sensitivity), and for the runtime gate every contract is fixed per tool by
 * the config; so the verdict of each declared tool is known at import time,
 * first-match order, L4 hold floor and L5 deny included. The importer
 * writes those verdicts as warrant rules, which makes the translation exact
 * for those tools whatever the order semantics of the two languages.
 */
import type {
  LodestarConfig,
  LodestarMatch,
  LodestarRule,
  LodestarToolDefaults,
} from "./schema.ts";

const RADIUS = { self: 0, session: 1, project: 2, external: 3 } as const;

/** Where a tool's verdict came from. */
export type VerdictSource =
  | { kind: "rule"; index: number }
  | { kind: "l4_floor_over_allow"; index: number }
  | { kind: "l4_floor" }
  | { kind: "l5_floor" }
  | { kind: "structural_default" };

export interface ToolVerdict {
  tool: string;
  effect: "allow" | "hold" | "deny";
  source: VerdictSource;
  /** Lodestar's reason, verbatim (the rule's, or the floor's text). */
  reason: string;
}

/**
 * Lodestar's glob: `*` is the only wildcard, everything else is literal, the
 * pattern is anchored. Greedy two-pointer matching (no backtracking blow-up).
 *
 * @example lodestarGlob("runtime.*", "runtime.echo") // true
 */
export function lodestarGlob(pattern: string, name: string): boolean {
  let p = 0, s = 0, star = -1, mark = 0;
  while (s < name.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === name[s]) {
      p++;
      s++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = s;
    } else if (star >= 0) {
      p = star + 1;
      s = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** The contract's `data_sensitivity` as policies match it (public | private | secret). */
export function sensitivityClass(s: LodestarConfig["default_sensitivity"]): string {
  return s === "public" ? "public" : s === "secret" ? "secret" : "private";
}

/** The name Lodestar's policy sees for a hook tool: `runtime.<name>`. */
export const internalName = (tool: string): string => `runtime.${tool}`;

/** Does `m` match the fixed contract of `tool` under `config`? */
export function matchesTool(
  m: LodestarMatch,
  tool: string,
  d: LodestarToolDefaults,
  config: LodestarConfig,
): boolean {
  if (m.tool !== undefined && !lodestarGlob(m.tool, internalName(tool))) return false;
  if (m.max_blast_radius !== undefined && RADIUS[d.blast_radius] > RADIUS[m.max_blast_radius]) {
    return false;
  }
  if (m.reversibility !== undefined && !m.reversibility.includes(d.reversibility)) return false;
  if (
    m.scope !== undefined &&
    (m.scope.level !== config.default_scope.level ||
      m.scope.identifier !== config.default_scope.identifier)
  ) return false;
  if (
    m.data_sensitivity !== undefined &&
    m.data_sensitivity !== sensitivityClass(config.default_sensitivity)
  ) return false;
  if (m.required_level_lte !== undefined && d.required_trust_level > m.required_level_lte) {
    return false;
  }
  return true;
}

/**
 * Lodestar's verdict for one declared tool: L5 deny; the first matching
 * rule; at L4 a deny stays deny, anything else (or nothing) holds; below L4
 * the rule's effect, or the structural deny when none matches.
 */
export function lodestarVerdict(
  tool: string,
  d: LodestarToolDefaults,
  rules: readonly LodestarRule[],
  config: LodestarConfig,
): ToolVerdict {
  const level = d.required_trust_level;
  if (level >= 5) {
    return {
      tool,
      effect: "deny",
      source: { kind: "l5_floor" },
      reason: "L5 is prohibited and can never run in this context",
    };
  }
  const index = rules.findIndex((r) => matchesTool(r.match, tool, d, config));
  const rule = index >= 0 ? rules[index]! : null;
  const effect = (r: LodestarRule) =>
    r.effect === "require_approval" ? "hold" : r.effect === "deny" ? "deny" : "allow";
  if (level === 4) {
    if (!rule) {
      return {
        tool,
        effect: "hold",
        source: { kind: "l4_floor" },
        reason: "L4 (external/shared) always requires approval",
      };
    }
    if (rule.effect === "allow") {
      return {
        tool,
        effect: "hold",
        source: { kind: "l4_floor_over_allow", index },
        reason:
          "L4 (external/shared) always requires approval — a matching allow rule cannot lift the floor",
      };
    }
    return { tool, effect: effect(rule), source: { kind: "rule", index }, reason: rule.reason };
  }
  if (!rule) {
    return {
      tool,
      effect: "deny",
      source: { kind: "structural_default" },
      reason: `no policy rule matched action '${
        internalName(tool)
      }' (L${level}); structural deny default`,
    };
  }
  return { tool, effect: effect(rule), source: { kind: "rule", index }, reason: rule.reason };
}

/**
 * Could rule `m` match a tool the config does not declare? (Its contract is
 * unknown at import time, so the translation cannot cover it.)
 */
export function reachesUndeclaredTools(m: LodestarMatch, declared: readonly string[]): boolean {
  if (m.tool === undefined || m.tool.includes("*")) return true;
  return !declared.some((t) => internalName(t) === m.tool);
}
