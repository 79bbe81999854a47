/**
 * Static checks for `warrant policy check` beyond the schema: rules that can
 * never match (contradictory conditions), rules made unreachable by a
 * broader unconditional deny, and a default that allows everything.
 */
import type { CompiledPolicy, CompiledRule } from "./compile.ts";
import { compileGlob, isGlob } from "./glob.ts";

export interface Finding {
  level: "error" | "warning";
  rule: string | null;
  message: string;
}

interface Bounds {
  lo: number;
  loIncl: boolean;
  hi: number;
  hiIncl: boolean;
}

/** Top-level AND constraints of a condition, per path (descending into `all`). */
function collect(c: Record<string, unknown>, into: Map<string, Array<[string, unknown]>>): void {
  for (const [k, v] of Object.entries(c)) {
    if (k === "all") { for (const x of v as Record<string, unknown>[]) collect(x, into); }
    else if (k === "any" || k === "not") continue;
    else {for (const [op, operand] of Object.entries(v as Record<string, unknown>)) {
        into.set(k, [...(into.get(k) ?? []), [op, operand]]);
      }}
  }
}

/** Why a rule's condition can never hold, or null. */
export function contradiction(rule: CompiledRule): string | null {
  if (!rule.source.when) return null;
  const byPath = new Map<string, Array<[string, unknown]>>();
  collect(rule.source.when, byPath);
  for (const [path, ops] of byPath) {
    const b: Bounds = { lo: -Infinity, loIncl: false, hi: Infinity, hiIncl: false };
    const eqs = new Set<string>();
    for (const [op, v] of ops) {
      if (op === "in" && Array.isArray(v) && v.length === 0) return `${path} in [] never holds`;
      if (op === "eq") eqs.add(JSON.stringify(v));
      if (
        op === "exists" && v === false &&
        ops.some(([o]) => o !== "exists" && o !== "nin" && o !== "ne")
      ) {
        return `${path} must both be missing and have a value`;
      }
      if (typeof v !== "number") continue;
      if ((op === "gt" || op === "gte") && (v > b.lo || (v === b.lo && op === "gt"))) {
        b.lo = v;
        b.loIncl = op === "gte";
      }
      if ((op === "lt" || op === "lte") && (v < b.hi || (v === b.hi && op === "lt"))) {
        b.hi = v;
        b.hiIncl = op === "lte";
      }
    }
    if (eqs.size > 1) return `${path} cannot equal ${[...eqs].join(" and ")} at once`;
    if (b.lo > b.hi || (b.lo === b.hi && !(b.loIncl && b.hiIncl))) {
      return `${path} cannot be ${b.loIncl ? "≥" : ">"} ${b.lo} and ${
        b.hiIncl ? "≤" : "<"
      } ${b.hi} at once`;
    }
  }
  return null;
}

const patternsOf = (
  r: CompiledRule,
) => (Array.isArray(r.source.tool) ? r.source.tool : [r.source.tool]);

/** True when every tool name matching `p` also matches the deny pattern `d`. */
function covers(d: string, p: string): boolean {
  if (d === p) return true;
  if (!isGlob(p)) return compileGlob(d)(p);
  const star = d.indexOf("*");
  return star === d.length - 1 && !d.includes("?") && p.startsWith(d.slice(0, -1));
}

/**
 * Findings for a compiled policy, most severe first.
 *
 * @example lintPolicy(compilePolicy(doc)).filter((f) => f.level === "error")
 */
export function lintPolicy(p: CompiledPolicy): Finding[] {
  const out: Finding[] = [];
  if (p.default === "allow") {
    out.push({
      level: "warning",
      rule: null,
      message: 'the default is "allow": any tool no rule mentions runs unchecked',
    });
  }
  const broadDenies = p.rules.filter((r) => r.effect === "deny" && r.when === null);
  for (const r of p.rules) {
    const why = contradiction(r);
    if (why) {
      out.push({ level: "error", rule: r.id, message: `rule ${r.id} can never match: ${why}` });
    }
    if (r.effect === "deny") continue;
    const shadow = broadDenies.find((d) =>
      patternsOf(r).every((pt) => patternsOf(d).some((dp) => covers(dp, pt)))
    );
    if (shadow) {
      out.push({
        level: "error",
        rule: r.id,
        message:
          `rule ${r.id} (${r.effect}) is unreachable: rule ${shadow.id} denies every call to its tools unconditionally`,
      });
    }
  }
  return out.sort((a, b) => (a.level === b.level ? 0 : a.level === "error" ? -1 : 1));
}
