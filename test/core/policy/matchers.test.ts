import { describe, expect, test } from "bun:test";
import { isWarrantError } from "../../../src/core/errors.ts";
import { compileGlob } from "../../../src/core/policy/glob.ts";
import { compileLinearRegex } from "../../../src/core/policy/linear-regex.ts";

describe("linear-time regex", () => {
  test.each([
    ["^abc$", "abc", true],
    ["abc", "xxabcxx", true],
    ["^abc", "xabc", false],
    ["a.c", "abc", true],
    ["a.c", "a\nc", false],
    ["^[a-z]+@acme\\.com$", "bob@acme.com", true],
    ["^[a-z]+@acme\\.com$", "bob@acmexcom", false],
    ["^[^0-9]+$", "abc", true],
    ["^[^0-9]+$", "ab1", false],
    ["\\d{3}-\\d{4}", "call 555-1234 now", true],
    ["^a{2,3}$", "aaaa", false],
    ["^a{2,3}$", "aaa", true],
    ["^a{2,}$", "aaaaaaa", true],
    ["^(cat|dog)s?$", "dogs", true],
    ["^(?:cat|dog)s?$", "cow", false],
    ["colou?r", "color", true],
    ["^\\s*$", "   ", true],
    ["x|^$", "", true],
    ["^(a|aa)*b$", "aaaab", true],
    ["[\\w.-]+", "--", true],
    ["^[a\\-z]$", "-", true],
  ])("%s on %j → %s (same as RegExp)", (pattern, input, expected) => {
    expect(compileLinearRegex(pattern).test(input)).toBe(expected);
    expect(new RegExp(pattern).test(input)).toBe(expected);
  });

  test.each([
    ["(a)\\1", "backreferences"],
    ["(?=a)", "lookaround"],
    ["(?<n>a)", "lookaround"],
    ["a*?", "lazy"],
    ["a**", "quantifier follows"],
    ["(a", "unbalanced"],
    ["a{1000}", "bounds"],
    ["(a{100}){100}", "states"],
    ["x".repeat(600), "longer than"],
    ["\\bword", "word boundaries"],
  ])("%s is refused (%s)", (pattern, why) => {
    try {
      compileLinearRegex(pattern);
      throw new Error("accepted");
    } catch (e) {
      expect(isWarrantError(e, "policy_pattern_unsafe")).toBe(true);
      expect((e as Error).message).toContain(why);
    }
  });

  test("catastrophic-backtracking shapes stay linear", () => {
    const evil = ["^(a+)+$", "^(a|aa)+$", "^(a*)*b$", "a*a*a*a*a*a*b"];
    const input = "a".repeat(20_000) + "!";
    for (const p of evil) {
      const t0 = performance.now();
      expect(compileLinearRegex(p).test(input)).toBe(false);
      expect(performance.now() - t0).toBeLessThan(1500); // RegExp would not return
    }
  });
});

describe("glob", () => {
  test.each([
    ["search_*", "search_docs", true],
    ["search_*", "search_", true],
    ["search_*", "research_docs", false],
    ["*", "", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["*rm -rf*", "sudo rm -rf /", true],
    ["*a*b*c*", "xaxbxcx", true],
    ["*a*b*c*", "xcxbxa", false],
    ["exact", "exact", true],
    ["exact", "exactly", false],
    ["a*a", "a", false],
  ])(
    "%s on %j → %s",
    (pattern, input, expected) => expect(compileGlob(pattern)(input)).toBe(expected),
  );

  test("hostile input is fast", () => {
    const g = compileGlob("*a*a*a*a*a*a*b");
    const t0 = performance.now();
    expect(g("a".repeat(60_000))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
