import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { actionDigest, jsonDigest, sha256Hex } from "../../../src/core/digest.ts";

const FIXTURE = JSON.parse(
  readFileSync(new URL("../../vectors/resolutions/fixture.json", import.meta.url), "utf8"),
);

describe("digests", () => {
  test("sha256 known answers", () => {
    expect(sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(sha256Hex(new Uint8Array())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
  test("jsonDigest ignores key order", () => {
    expect(jsonDigest({ a: 1, b: [1, { d: 2, c: 3 }] })).toBe(
      jsonDigest({ b: [1, { c: 3, d: 2 }], a: 1 }),
    );
  });
  test("actionDigest matches the independently generated fixture", () => {
    expect(actionDigest(FIXTURE.action_digest_input)).toBe(FIXTURE.request.action_digest);
  });
  test("actionDigest hashes only the SPEC fields", () => {
    const extra = { ...FIXTURE.action_digest_input, deadline: 5 };
    expect(actionDigest(extra)).toBe(FIXTURE.request.action_digest);
    const other = { ...FIXTURE.action_digest_input, args: { amount: 251 } };
    expect(actionDigest(other)).not.toBe(FIXTURE.request.action_digest);
  });
});
