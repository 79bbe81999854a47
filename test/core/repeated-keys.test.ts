import { describe, expect, test } from "bun:test";
import { parseJsonStrict } from "../../src/core/canonical-json.ts";
import { isWarrantError } from "../../src/core/errors.ts";
import { repeatsKey } from "../../src/core/repeated-keys.ts";

/** The strict parser's verdict: does `text` repeat a key? */
function strictSaysRepeat(text: string): boolean {
  try {
    parseJsonStrict(text, 512);
    return false;
  } catch (e) {
    if (isWarrantError(e, "json_duplicate_key")) return true;
    throw e;
  }
}

const CASES: Array<[string, boolean]> = [
  ['{"a":1}', false],
  ['{"a":1,"a":2}', true],
  ['{"a":1,"b":{"a":2}}', false],
  ['{"a":{"b":1,"b":1}}', true],
  ['[{"a":1},{"a":1}]', false],
  ['[{"a":1,"a":1}]', true],
  ['{"a":":::","b":"\\":","c":"\\\\"}', false],
  ['{"a\\":":1,"a\\":":2}', true],
  ['{"\\\\":1,"\\\\":2}', true],
  ['{"__proto__":1,"b":2}', false],
  ['{"__proto__":1,"__proto__":2}', true],
  ['{"__proto__":{"x":1,"x":2}}', true],
  ['{"a":"\\u0022:","b":[":",{"c":"\\\\\\":"}]}', false],
  ['{"tool":"work","args":{},"tool":"shell"}', true],
  ['{ "a" : 1 , "b" : 2 }', false],
  ['{ "a" : 1 , "a" : 2 }', true],
  ["{}", false],
  ['"a:b"', false],
  ["123", false],
];

describe("repeatsKey", () => {
  for (const [text, want] of CASES) {
    test(text, () => {
      expect(repeatsKey(text, JSON.parse(text))).toBe(want);
      expect(strictSaysRepeat(text)).toBe(want);
    });
  }
  test("agrees with the strict parser on random objects with and without repeats", () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed >>> 8) % n;
    };
    const keys = ["a", "b", ":", '\\"', "\\\\", "x:y", "__proto__"];
    const gen = (depth: number): string => {
      const k = depth > 4 ? rnd(3) : rnd(5);
      if (k === 0) return JSON.stringify(keys[rnd(keys.length)]);
      if (k === 1) return String(rnd(100));
      if (k === 2) return "null";
      if (k === 3) return `[${Array.from({ length: rnd(3) }, () => gen(depth + 1)).join(",")}]`;
      const members = Array.from(
        { length: rnd(4) },
        () => `"${keys[rnd(keys.length)]}":${gen(depth + 1)}`,
      );
      return `{${members.join(",")}}`;
    };
    let repeats = 0;
    for (let i = 0; i < 3000; i++) {
      const text = gen(0);
      const want = strictSaysRepeat(text);
      if (want) repeats++;
      expect(repeatsKey(text, JSON.parse(text))).toBe(want);
    }
    expect(repeats).toBeGreaterThan(100);
  });
});
