import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { canonicalBytes, canonicalize, parseJsonStrict } from "../../../src/core/canonical-json.ts";
import { isWarrantError } from "../../../src/core/errors.ts";

const V = JSON.parse(
  readFileSync(new URL("../../vectors/canonical-json/cases.json", import.meta.url), "utf8"),
);

function float64(hex: string): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt(`0x${hex}`));
  return dv.getFloat64(0);
}

function special(name: string): unknown {
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  const table: Record<string, unknown> = {
    NaN: NaN,
    Infinity: Infinity,
    "-Infinity": -Infinity,
    undefined: { a: undefined },
    function: [() => 1],
    bigint: { n: 1n },
    Date: { d: new Date(0) },
    Map: new Map(),
    cycle: cyc,
    symbol: { s: Symbol("x") },
  };
  return table[name];
}

describe("canonicalize (RFC 8785)", () => {
  for (const c of V.valid) {
    test(c.name, () => expect(canonicalize(JSON.parse(c.input_json))).toBe(c.expected));
  }
  for (const c of V.ieee_numbers) {
    const n = float64(c.ieee_hex);
    test(`IEEE ${c.ieee_hex} → ${c.expected}`, () => expect(canonicalize(n)).toBe(c.expected));
  }
  for (const c of V.invalid) {
    test(`rejects ${c.name}`, () => {
      const value = c.special !== undefined
        ? special(c.special)
        : c.ieee_hex !== undefined
        ? float64(c.ieee_hex)
        : JSON.parse(c.input_json);
      let err: unknown;
      try {
        canonicalize(value);
      } catch (e) {
        err = e;
      }
      expect(isWarrantError(err, "canonical_json_invalid")).toBe(true);
    });
  }
  test("canonicalBytes is UTF-8 of canonicalize", () => {
    expect(Array.from(canonicalBytes({ "€": 1 }))).toEqual(
      Array.from(new TextEncoder().encode('{"€":1}')),
    );
  });
  test("a repeated (non-cyclic) reference is fine", () => {
    const shared = { x: 1 };
    expect(canonicalize({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
  test("null-prototype objects are plain", () => {
    const o = Object.create(null);
    o.b = 1;
    o.a = 2;
    expect(canonicalize(o)).toBe('{"a":2,"b":1}');
  });
  test("error names the path", () => {
    expect(() => canonicalize({ a: [1, NaN] })).toThrow("$.a[1]");
  });
});

describe("parseJsonStrict", () => {
  for (const c of V.strict_parse) {
    test(c.name, () => {
      if (c.ok) {
        expect(parseJsonStrict(c.text)).toEqual(JSON.parse(c.text));
        return;
      }
      let err: unknown;
      try {
        parseJsonStrict(c.text);
      } catch (e) {
        err = e;
      }
      expect(isWarrantError(err, c.code)).toBe(true);
    });
  }
  test("__proto__ stays an own data property", () => {
    const v = parseJsonStrict('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  test("agrees with JSON.parse on valid documents", () => {
    for (const c of V.valid) {
      expect(parseJsonStrict(c.input_json)).toEqual(JSON.parse(c.input_json));
    }
  });
  test("linear on a long flat array", () => {
    const text = `[${"1,".repeat(200_000)}1]`;
    expect((parseJsonStrict(text) as unknown[]).length).toBe(200_001);
  });
});
