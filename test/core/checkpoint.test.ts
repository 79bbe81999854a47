/** Checkpoints: signed in their own domain; a store judged against them. */
import { describe, expect, test } from "bun:test";
import { getPublicKey } from "../../src/core/ed25519.ts";
import {
  CHECKPOINT_TYPE,
  judgeStore,
  latestCheckpoint,
  readCheckpoint,
  signCheckpoint,
} from "../../src/core/checkpoint.ts";
import type { StoreView } from "../../src/core/checkpoint.ts";
import { RESOLUTION_DOMAIN, signDomain } from "../../src/core/signing.ts";
import { canonicalBytes } from "../../src/core/canonical-json.ts";
import { encodeBase64 } from "../../src/core/base64.ts";

const seed = new Uint8Array(32).fill(3);
const pub = getPublicKey(seed);
const h = (n: number) => n.toString(16).padStart(64, "0");
const cp = (seq: number, head = h(seq), store_id = "st_a") =>
  signCheckpoint({
    type: CHECKPOINT_TYPE,
    store_id,
    seq,
    head,
    at: `2026-11-30T08:00:0${seq % 10}Z`,
  }, seed);
const view = (
  lastSeq: number,
  store_id = "st_a",
  hashes: Record<number, string> = {},
): StoreView => ({
  store_id,
  lastSeq,
  hashAt: (s) => (s <= lastSeq ? hashes[s] ?? h(s) : null),
});

describe("checkpoint documents", () => {
  test("a signed line verifies; an edited one or another domain's signature does not", () => {
    const line = JSON.stringify(cp(7));
    expect(readCheckpoint(line, pub).ok).toBe(true);
    expect(readCheckpoint(line.replace('"seq":7', '"seq":9'), pub).ok).toBe(false);
    const doc = {
      type: CHECKPOINT_TYPE,
      store_id: "st_a",
      seq: 7,
      head: h(7),
      at: "2026-11-30T08:00:07Z",
    };
    const wrongDomain = encodeBase64(signDomain(RESOLUTION_DOMAIN, canonicalBytes(doc), seed));
    expect(readCheckpoint(JSON.stringify({ ...doc, signature: wrongDomain }), pub).ok).toBe(false);
    expect(readCheckpoint(line.replace("{", '{"seq":1,'), pub).ok).toBe(false); // duplicate key
    expect(readCheckpoint(line, getPublicKey(new Uint8Array(32).fill(4))).ok).toBe(false);
  });
  test("the latest is the highest valid seq, whatever the line order", () => {
    const lines = [JSON.stringify(cp(5)), JSON.stringify(cp(9)), "junk", JSON.stringify(cp(7))];
    expect(latestCheckpoint(lines, pub)?.seq).toBe(9);
  });
});

describe("judgeStore", () => {
  const cps = [cp(3), cp(6), cp(9)];
  test("a store holding every checkpointed head (and more) is fine", () => {
    expect(judgeStore(view(9), cps)).toBeNull();
    expect(judgeStore(view(12), cps)).toBeNull();
    expect(judgeStore(view(0), [])).toBeNull();
  });
  test.each([
    ["another store", view(12, "st_b"), "other_store"],
    ["emptied", view(0), "emptied"],
    ["older copy (its head is an earlier checkpoint)", view(6), "older_copy"],
    ["missing tail", view(7), "missing_tail"],
    ["rebuilt (a checkpointed seq has another hash)", view(12, "st_a", { 6: h(666) }), "rebuilt"],
  ] as Array<[string, StoreView, string]>)("%s", (_n, v, kind) => {
    expect(judgeStore(v, cps)?.kind as string).toBe(kind);
  });
});
