import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  canonicalBytes,
  canonicalize,
  parseJsonStrict,
  sortedKeys,
} from "../../../src/core/canonical-json.ts";
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
    // Found past the fast path's depth, and in a key.
    let deep: unknown = { x: [1, "\uD800"] };
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(() => canonicalize(deep)).toThrow(`$${"[0]".repeat(70)}.x[1]`);
    expect(() => canonicalize({ a: { "k\uDC00": 1 } })).toThrow("lone UTF-16 surrogate");
  });
  test("equals JSON.stringify of the key-sorted value on random well-formed values", () => {
    // A seeded generator: strings with escapes, pairs and non-ASCII, numbers
    // from -0 to 1e21 and 5e-324, chains of 70 (past the fast path's 64).
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = [
      "a",
      "Z",
      '"',
      "\\",
      "\n",
      "\u0001",
      "\u001f",
      "é",
      "€",
      "😀",
      "\u2028",
      "\u007f",
      " ",
    ];
    const numbers = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 5e-324, 2 ** 53, -123.456, 1 / 3];
    const str = () => Array.from({ length: rnd(6) }, () => pieces[rnd(pieces.length)]).join("");
    const gen = (depth: number): unknown => {
      const k = depth > 80 ? rnd(4) : rnd(7);
      if (k === 0) return str();
      if (k === 1) return numbers[rnd(numbers.length)];
      if (k === 2) return rnd(2) === 0;
      if (k === 3) return null;
      if (k === 4) return Array.from({ length: rnd(4) }, () => gen(depth + 1));
      if (k === 5 && depth === 1 && rnd(4) === 0) {
        let chain = gen(2);
        for (let i = 0; i < 70; i++) chain = rnd(2) === 0 ? [chain] : { k: chain };
        return chain;
      }
      const o: Record<string, unknown> = {};
      for (let i = rnd(5); i > 0; i--) o[str()] = gen(depth + 1);
      return o;
    };
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === "object"
        ? Object.fromEntries(
          Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
        : v;
    for (let i = 0; i < 3000; i++) {
      const v = gen(0);
      expect(canonicalize(v)).toBe(JSON.stringify(sorted(v)));
    }
  });
});

describe("sortedKeys", () => {
  test("orders keys as Object.keys(o).sort() does, for 0 to 40 keys of every kind", () => {
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = [
      "",
      "a",
      "B",
      "z",
      "_",
      "0",
      "9",
      "10",
      "é",
      "€",
      "😀",
      "\uffff",
      "\u0000",
      "ab",
    ];
    for (let i = 0; i < 5_000; i++) {
      const o: Record<string, number> = {};
      const n = Math.floor(next() * 41);
      for (let k = 0; k < n; k++) {
        let key = "";
        for (let c = Math.floor(next() * 4); c > 0; c--) {
          key += alphabet[Math.floor(next() * alphabet.length)];
        }
        o[key] = k;
      }
      expect(sortedKeys(o)).toEqual(Object.keys(o).sort());
    }
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
