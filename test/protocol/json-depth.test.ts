/** jsonDepth (protocol/gate-inbound.ts): how deep a parsed line nests, stopping past the limit. */
import { describe, expect, test } from "bun:test";
import { jsonDepth } from "../../src/protocol/gate-inbound.ts";

/** The definition: a value's children are one level deeper; the deepest value's level. */
function naive(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const kids = Array.isArray(v) ? v : Object.values(v);
  return kids.length === 0 ? 0 : 1 + Math.max(...kids.map(naive));
}

/** A deterministic pseudo-random JSON value. */
function value(seed: { s: number }, depth: number): unknown {
  seed.s = (seed.s * 1103515245 + 12345) % 2 ** 31;
  const r = seed.s % 7;
  if (depth > 6 || r < 3) return [0, "x", null, true][r % 4];
  const n = seed.s % 4;
  if (r < 5) return Array.from({ length: n }, () => value(seed, depth + 1));
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(seed, depth + 1)]));
}

describe("jsonDepth", () => {
  test("equals the definition on scalars, empty and nested values", () => {
    for (
      const v of [1, "s", null, {}, [], { a: 1 }, [[[]]], { a: [{ b: { c: 2 } }] }, [1, [2, [3]]]]
    ) {
      expect(jsonDepth(v, 64)).toBe(naive(v));
    }
    const seed = { s: 7 };
    for (let i = 0; i < 2000; i++) {
      const v = value(seed, 0);
      expect(jsonDepth(v, 64)).toBe(naive(v));
    }
  });

  test("stops past the limit: a value nested 100,000 deep is answered limit + 1", () => {
    let v: unknown = 0;
    for (let i = 0; i < 100_000; i++) v = i % 2 ? [v] : { a: v };
    expect(jsonDepth(v, 64)).toBe(65);
    expect(jsonDepth(JSON.parse(JSON.stringify({ a: [[{ b: 1 }]] })), 3)).toBe(4);
  });
});
