/**
 * The same RFC 8032 and strict-rejection vectors with noble's precomputed
 * base-point table (the mode `warrant serve` uses): both verification paths
 * must agree on every vector.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeHex } from "../../../src/core/base64.ts";
import { precomputeBaseTable, verify } from "../../../src/core/ed25519.ts";

const read = (f: string) =>
  JSON.parse(readFileSync(join(import.meta.dir, "../../vectors/ed25519", f), "utf8"));
const good = read("rfc8032.json").vectors as Array<
  { name: string; public_key: string; message: string; signature: string }
>;
const bad = read("strict.json").vectors as Array<
  { name: string; public_key: string; message: string; signature: string }
>;
const hex = (h: string) => decodeHex(h) ?? new Uint8Array(0);

test("table-free and table verification agree on every vector", () => {
  const before = [...good, ...bad].map((v) =>
    verify(hex(v.signature), hex(v.message), hex(v.public_key))
  );
  precomputeBaseTable();
  const after = [...good, ...bad].map((v) =>
    verify(hex(v.signature), hex(v.message), hex(v.public_key))
  );
  expect(after).toEqual(before);
  expect(before.slice(0, good.length).every(Boolean)).toBe(true);
  expect(before.slice(good.length).some(Boolean)).toBe(false);
});
