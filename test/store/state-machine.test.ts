import { expect, test } from "bun:test";
import {
  ACTION_STATES,
  assertTransition,
  canTransition,
  isTerminal,
  TRANSITIONS,
} from "../../src/core/action.ts";
import { eventHash, GENESIS_HASH, verifyChain } from "../../src/core/audit-chain.ts";
import { isWarrantError } from "../../src/core/errors.ts";
import { createPayloadCodec, parseDataKey } from "../../src/store/payload-codec.ts";

test("the state machine is exactly SPEC §8 (+ approved → rejected)", () => {
  const edges = ACTION_STATES.flatMap((f) => TRANSITIONS[f].map((t) => `${f}>${t}`)).sort();
  expect(edges).toEqual([
    "allowed>executing",
    "approved>executing",
    "approved>rejected",
    "executing>completed",
    "executing>failed",
    "executing>unknown",
    "held>approved",
    "held>expired",
    "held>rejected",
    "proposed>allowed",
    "proposed>denied",
    "proposed>held",
  ]);
  expect(ACTION_STATES.filter(isTerminal)).toEqual([
    "denied",
    "rejected",
    "expired",
    "completed",
    "failed",
    "unknown",
  ]);
  expect(canTransition("executing", "allowed")).toBe(false);
  try {
    assertTransition("completed", "executing");
    throw new Error("no throw");
  } catch (e) {
    expect(isWarrantError(e, "illegal_transition")).toBe(true);
    expect((e as Error).message).toContain("completed is terminal");
  }
});

test("verifyChain: genesis, links, and each kind of break", () => {
  const evs: Array<ReturnType<typeof mk>> = [];
  function mk(seq: number, prev: string) {
    const f = { seq, at: seq, type: "t", action_id: null, payload: { n: seq }, prev_hash: prev };
    return { ...f, hash: eventHash(f) };
  }
  let prev = GENESIS_HASH;
  for (let i = 1; i <= 4; i++) {
    const e = mk(i, prev);
    evs.push(e);
    prev = e.hash;
  }
  expect(verifyChain(evs)).toEqual({ ok: true, checked: 4 });
  expect(verifyChain([]).ok).toBe(true);
  expect(verifyChain([evs[0]!, evs[2]!]).first_bad?.problem).toBe("gap: expected seq 2, found 3");
  expect(verifyChain([evs[1]!, evs[0]!]).first_bad?.seq).toBe(1);
  expect(verifyChain([evs[0]!, { ...evs[1]!, payload: { n: 9 } }]).first_bad?.seq).toBe(2);
  expect(eventHash(evs[0]!)).toMatch(/^[0-9a-f]{64}$/);
});

test("parseDataKey: hex and base64 of 32 bytes; anything else is key_invalid", () => {
  expect(parseDataKey("ab".repeat(32))[0]).toBe(0xab);
  expect(parseDataKey(btoa(String.fromCharCode(...new Uint8Array(32).fill(1))))[31]).toBe(1);
  for (const bad of ["", "ab".repeat(31), btoa("short"), "not a key!"]) {
    let code = "";
    try {
      parseDataKey(bad);
    } catch (e) {
      code = isWarrantError(e) ? e.code : "other";
    }
    expect(code).toBe("key_invalid");
  }
});

test("plaintext codec: version byte 0 + JSON; unknown version is store_corrupt", () => {
  const c = createPayloadCodec();
  const b = c.encode({ a: "é" }, "actions:x:args");
  expect(b[0]).toBe(0);
  expect(c.decode(b, "actions:x:args")).toEqual({ a: "é" });
  const bad = b.slice();
  bad[0] = 7;
  expect(() => c.decode(bad, "actions:x:args")).toThrow("unknown codec version 7");
});
