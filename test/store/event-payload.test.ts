import { describe, expect, test } from "bun:test";
import { canonicalize } from "../../src/core/canonical-json.ts";
import { isWarrantError } from "../../src/core/errors.ts";
import {
  packPayload,
  storedPayload,
  storedPayloadText,
  storedPayloadValue,
  unpackPayload,
} from "../../src/store/event-payload.ts";

/** Packs, unpacks and checks the canonical text is the same, byte for byte. */
function roundTrip(v: Record<string, unknown>): Uint8Array {
  const packed = packPayload(v);
  expect(packed).not.toBeNull();
  const back = unpackPayload(packed!, "test");
  expect(canonicalize(back)).toBe(canonicalize(v));
  expect(storedPayloadText(packed, "test")).toBe(canonicalize(v));
  // Keys come back in canonical order, as JSON.parse of the canonical text lists them.
  expect(JSON.stringify(back)).toBe(JSON.stringify(JSON.parse(canonicalize(v))));
  return packed!;
}

/** A deterministic pseudo-random JSON value (strings, numbers, nesting of every kind). */
function randomValue(next: () => number, depth: number): unknown {
  const k = Math.floor(next() * (depth > 3 ? 6 : 9));
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
  switch (k) {
    case 0:
      return pick([null, true, false]);
    case 1:
      return pick([
        0,
        -0,
        1,
        -1,
        127,
        128,
        16383,
        16384,
        2 ** 31,
        -(2 ** 31) - 1,
        2 ** 53 - 1,
        -(2 ** 53) + 1,
        2 ** 53,
        2 ** 64,
        1e21,
        1e-7,
        0.1,
        -1.5e300,
        5e-324,
        Math.PI,
        Math.floor(next() * 1e15),
      ]);
    case 2:
      return pick([
        "",
        "a",
        "proposed",
        "from",
        "é€😀",
        'quote " and \\ and \n \u0000 \u001f',
        `sha256:${"0123456789abcdef".repeat(4)}`,
        `sha256:${"0123456789ABCDEF".repeat(4)}`,
        `sha256:${"ab".repeat(31)}`,
        `hmac-sha256:${"fe".repeat(32)}`,
        `sha256-json:${"12".repeat(32)}`,
        "act_01m8pm5syqwq6dhayp2784y75n",
        "ses_zzzzzzzzzzzzzzzzzzzzzzzzzz",
        "ses_01m8pm5syqwq6dhayp2784y75",
        "act_01m8pm5syqwq6dhayp2784y75nn",
        "act_01m8pm5syqwq6dhayp2784y7ln",
        "ACT_01m8pm5syqwq6dhayp2784y75n",
        "req_x",
        "x".repeat(200),
        String(next()),
      ]);
    case 3:
    case 4:
    case 5:
      return String.fromCharCode(
        ...Array.from({ length: 1 + Math.floor(next() * 12) }, () => Math.floor(next() * 0x2fff))
          .filter((c) => c < 0xd800 || c > 0xdfff),
      );
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(next() * 5);
      for (let i = 0; i < n; i++) {
        const key = String(randomValue(next, 9) ?? "k");
        if (key === "__proto__") continue;
        o[key] = randomValue(next, depth + 1);
      }
      return o;
    }
  }
}

describe("event payloads packed for storage", () => {
  test("the events warrant writes round-trip to the exact canonical text, at about half the size", () => {
    const events = [
      {
        args_digest: `sha256:${"157af8f81c9a48d1".repeat(4)}`,
        origin: "hook",
        session_id: "ses_01m8pm5syms4tztsbs8r86x6dd",
        tool: "search_docs",
      },
      { effect: "allow", from: "proposed", policy_id: "bench", policy_version: 1, rules: ["docs"] },
      { executor_session: "ses_01m8pm5syms4tztsbs8r86x6dd", from: "allowed" },
      { from: "executing", output_digest: `hmac-sha256:${"9504068c848a3ff2".repeat(4)}` },
      {
        request_id: "req_01m8pm5syms4tztsbs8r86x6dd",
        requirements: [{ quorum: 2, roles: ["finance"], rule: "r", timeout_ms: null }],
        deadline: 1796055689175,
      },
      { code: "bad_signature", count: 3, sample: "héllo", source: "127.0.0.1" },
    ];
    for (const e of events) {
      const packed = roundTrip(e);
      expect(packed.length).toBeLessThan(canonicalize(e).length * 0.7);
    }
  });

  test("20,000 random payloads round-trip exactly", () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const v = randomValue(next, 0);
      roundTrip(
        v !== null && typeof v === "object" && !Array.isArray(v)
          ? v as Record<string, unknown>
          : { v },
      );
    }
  });

  test("what it does not cover is left as text (null): a __proto__ key", () => {
    const v = JSON.parse('{"__proto__":{"a":1},"b":2}') as Record<string, unknown>;
    expect(packPayload(v)).toBeNull();
  });

  test("a malformed packed payload is store_corrupt, never another value", () => {
    const good = packPayload({ from: "executing", n: 300, s: "text" })!;
    const cases: Array<[string, Uint8Array]> = [
      ["ends early", good.subarray(0, good.length - 2)],
      ["trailing bytes", new Uint8Array([...good, 0])],
      ["unknown tag", new Uint8Array([1, 8, 1, 6, 1, 0x61, 99])],
      ["unknown word", new Uint8Array([1, 8, 1, 11, 255, 0])],
      ["not an object", new Uint8Array([1, 7, 0])],
      ["repeated key", new Uint8Array([1, 8, 2, 6, 1, 0x61, 0, 6, 1, 0x61, 2])],
      ["invalid UTF-8", new Uint8Array([1, 8, 1, 6, 1, 0xff, 0])],
      ["bad id padding", new Uint8Array([1, 8, 1, 12, 1, 0x61, ...new Array(17).fill(1), 0])],
    ];
    for (const [what, bytes] of cases) {
      let err: unknown = null;
      try {
        unpackPayload(bytes, "events.payload of seq 5");
      } catch (e) {
        err = e;
      }
      expect(isWarrantError(err, "store_corrupt"), what).toBe(true);
      expect(String((err as Error).message)).toContain("seq 5");
    }
  });

  test("stored text (rows before schema 8, PostgreSQL) reads as before", () => {
    const text = '{"from":"proposed","rules":["a"]}';
    expect(storedPayloadValue(text, "x")).toEqual({ from: "proposed", rules: ["a"] });
    expect(storedPayloadText(text, "x")).toBe(text);
    const asBytes = new TextEncoder().encode(text);
    expect(storedPayloadText(asBytes, "x")).toBe(text);
    expect(storedPayloadValue(asBytes, "x")).toEqual({ from: "proposed", rules: ["a"] });
    expect(() => storedPayloadValue("{nope", "x")).toThrow("valid JSON");
  });
});

describe("storedPayload: packed only when it unpacks to the hashed text", () => {
  const payload = { decision: "allow", rule: "r1", args_digest: `sha256:${"ab".repeat(32)}` };
  const text = canonicalize(payload);

  test("a payload the packer covers is stored packed", () => {
    const s = storedPayload(payload, text);
    expect(s).toBeInstanceOf(Uint8Array);
    expect(canonicalize(unpackPayload(s as Uint8Array, "test"))).toBe(text);
  });

  test("a packer that gets a value wrong (or writes garbage) leaves the text", () => {
    // A packer bug stand-in: it packs another value than it was given.
    const wrong = (p: Record<string, unknown>) => packPayload({ ...p, rule: "r2" });
    expect(storedPayload(payload, text, wrong)).toBe(text);
    const garbage = () => Uint8Array.of(1, 8, 200);
    expect(storedPayload(payload, text, garbage)).toBe(text);
    expect(storedPayload(payload, text, () => null)).toBe(text);
  });

  test("a repeated text is answered from what was checked; other texts are packed afresh", () => {
    const first = storedPayload(payload, text) as Uint8Array;
    // Another object with the same canonical text (other key order, -0 for 0):
    // the form checked for that text, which unpacks to it.
    const again = { n: -0, ...payload, rule: "r1" };
    const textAgain = canonicalize({ n: 0, ...payload });
    const a = storedPayload(again, textAgain) as Uint8Array;
    expect(storedPayload({ ...payload, n: 0 }, textAgain)).toBe(a);
    expect(canonicalize(unpackPayload(a, "test"))).toBe(textAgain);
    expect(storedPayload({ ...payload }, text)).toBe(first);
    // Past the memo's size it starts over, and every answer still unpacks to its text.
    for (let i = 0; i < 600; i++) {
      const p = { ...payload, count: i };
      const s = storedPayload(p, canonicalize(p));
      expect(canonicalize(unpackPayload(s as Uint8Array, "test"))).toBe(canonicalize(p));
    }
    // A wrong packer's text is never memoised, nor answered from the memo.
    const wrong = (p: Record<string, unknown>) => packPayload({ ...p, rule: "r2" });
    expect(storedPayload(payload, text, wrong)).toBe(text);
    expect(storedPayload(payload, text)).toBeInstanceOf(Uint8Array);
  });
});
