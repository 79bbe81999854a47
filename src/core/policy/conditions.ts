/**
 * `when` conditions, compiled once into closures. Evaluation is total: a
 * missing path or a value of the wrong type is "no match", never an
 * exception, and no operator takes super-linear time (globs are segment
 * searches, regexes run on a linear-time NFA, strings over 64 KiB never
 * match a pattern).
 *
 * Paths are dot-separated names ("payee.country"); a numeric segment indexes
 * an array ("items.0.sku"). Only own properties are followed, so "__proto__"
 * or "constructor" never reach the prototype. `all`, `any` and `not` are
 * combinators at condition level; several paths (or several operators on a
 * path) in one object must all hold.
 */
import { canonicalize } from "../canonical-json.ts";
import { compileGlob } from "./glob.ts";
import { compileLinearRegex } from "./linear-regex.ts";
import type { Operator } from "./schema.ts";

export type Pred = (args: Record<string, unknown>) => boolean;

/** The value at a path, or MISSING. */
export const MISSING: unique symbol = Symbol("missing");
export const PATTERN_INPUT_MAX = 64 * 1024;

/** Resolve a dot path in `root` using own properties only. */
export function resolvePath(root: unknown, segments: readonly string[]): unknown {
  let cur: unknown = root;
  for (const seg of segments) {
    if (cur === null || typeof cur !== "object") return MISSING;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]{0,8})$/.test(seg)) return MISSING;
      const i = Number(seg);
      if (i >= cur.length) return MISSING;
      cur = cur[i];
    } else {
      if (!Object.hasOwn(cur, seg)) return MISSING;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur === undefined ? MISSING : cur;
}

function canon(v: unknown): string | null {
  try {
    return canonicalize(v);
  } catch {
    return null;
  }
}

/** Deep JSON equality: primitives by value, structures by canonical form. */
function equalTo(operand: unknown): (v: unknown) => boolean {
  if (operand === null || typeof operand !== "object") return (v) => v === operand;
  const c = canon(operand);
  return (v) => v !== null && typeof v === "object" && c !== null && canon(v) === c;
}

/** One operator as a predicate over the resolved value (MISSING included). */
export function operatorPredicate(op: Operator, operand: unknown): (v: unknown) => boolean {
  switch (op) {
    case "eq":
      return equalTo(operand);
    case "ne": {
      const eq = equalTo(operand);
      return (v) => v !== MISSING && !eq(v);
    }
    case "in":
    case "nin": {
      const arr = operand as unknown[];
      const prims = new Set(arr.filter((x) => x === null || typeof x !== "object"));
      const structs = arr.filter((x) => x !== null && typeof x === "object").map(equalTo);
      const isIn = (v: unknown) =>
        (v === null || typeof v !== "object") ? prims.has(v) : structs.some((f) => f(v));
      return op === "in" ? (v) => v !== MISSING && isIn(v) : (v) => v !== MISSING && !isIn(v);
    }
    case "lt":
      return (v) => typeof v === "number" && v < (operand as number);
    case "lte":
      return (v) => typeof v === "number" && v <= (operand as number);
    case "gt":
      return (v) => typeof v === "number" && v > (operand as number);
    case "gte":
      return (v) => typeof v === "number" && v >= (operand as number);
    case "glob": {
      const g = compileGlob(operand as string);
      return (v) => typeof v === "string" && v.length <= PATTERN_INPUT_MAX && g(v);
    }
    case "prefix":
      return (v) => typeof v === "string" && v.startsWith(operand as string);
    case "suffix":
      return (v) => typeof v === "string" && v.endsWith(operand as string);
    case "contains": {
      const eq = equalTo(operand);
      return (v) =>
        typeof v === "string"
          ? typeof operand === "string" && v.includes(operand)
          : Array.isArray(v) && v.some(eq);
    }
    case "exists":
      return (v) => (v !== MISSING) === operand;
    case "regex": {
      const re = compileLinearRegex(operand as string);
      return (v) => typeof v === "string" && v.length <= PATTERN_INPUT_MAX && re.test(v);
    }
  }
}

/**
 * Compile a validated condition (see schema.ts checkCondition) into a
 * predicate over the call's arguments.
 *
 * @example compileCondition({ amount: { lte: 100 } })({ amount: 40 }) // → true
 */
export function compileCondition(c: Record<string, unknown>): Pred {
  const parts: Pred[] = [];
  for (const [key, v] of Object.entries(c)) {
    if (key === "all") {
      const xs = (v as Record<string, unknown>[]).map(compileCondition);
      parts.push((a) => xs.every((x) => x(a)));
    } else if (key === "any") {
      const xs = (v as Record<string, unknown>[]).map(compileCondition);
      parts.push((a) => xs.some((x) => x(a)));
    } else if (key === "not") {
      const x = compileCondition(v as Record<string, unknown>);
      parts.push((a) => !x(a));
    } else {
      const segs = key.split(".");
      const preds = Object.entries(v as Record<string, unknown>).map(([op, operand]) =>
        operatorPredicate(op as Operator, operand)
      );
      if (segs.length === 1 && preds.length === 1) {
        const [seg] = segs as [string];
        const [p] = preds as [(v: unknown) => boolean];
        parts.push((a) => p(Object.hasOwn(a, seg) && a[seg] !== undefined ? a[seg] : MISSING));
      } else {parts.push((a) => {
          const val = resolvePath(a, segs);
          return preds.every((p) => p(val));
        });}
    }
  }
  if (parts.length === 1) return parts[0]!;
  return (a) => parts.every((p) => p(a));
}

/**
 * Why a condition does not hold, as human lines (empty when it holds), for
 * `policy explain`.
 */
export function explainCondition(
  c: Record<string, unknown>,
  args: Record<string, unknown>,
  at = "when",
): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(c)) {
    const p = `${at}.${key}`;
    if (key === "all") {
      (v as Record<string, unknown>[]).forEach((x, i) =>
        out.push(...explainCondition(x, args, `${p}[${i}]`))
      );
    } else if (key === "any") {
      const subs = (v as Record<string, unknown>[]).map((x, i) =>
        explainCondition(x, args, `${p}[${i}]`)
      );
      if (subs.every((s) => s.length > 0)) {
        out.push(`${p}: none of the alternatives holds (${subs.flat().join("; ")})`);
      }
    } else if (key === "not") {
      if (compileCondition(v as Record<string, unknown>)(args)) {
        out.push(`${p}: the negated condition holds`);
      }
    } else {
      const val = resolvePath(args, key.split("."));
      for (const [op, operand] of Object.entries(v as Record<string, unknown>)) {
        if (!operatorPredicate(op as Operator, operand)(val)) {
          const actual = val === MISSING ? "missing" : JSON.stringify(val)?.slice(0, 80);
          out.push(
            `${key} ${op} ${JSON.stringify(operand)?.slice(0, 80)} is false (actual: ${actual})`,
          );
        }
      }
    }
  }
  return out;
}
