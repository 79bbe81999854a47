/**
 * The small-order y coordinates written out in core/ed25519.ts are exactly
 * those of the 8 points of small order, computed here from an order-8 point.
 */
import { expect, test } from "bun:test";
import * as ed from "@noble/ed25519";
import { SMALL_ORDER_Y } from "../../../src/core/ed25519.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

test("SMALL_ORDER_Y holds the y (sign bit cleared) of every point of small order, and nothing else", () => {
  const t = ed.Point.fromBytes(
    Uint8Array.from(
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05".match(/../g)!,
      (h) => parseInt(h, 16),
    ),
    false,
  );
  expect(t.multiply(8n, false).is0()).toBe(true);
  expect(t.multiply(4n, false).is0()).toBe(false); // of order 8 exactly: its multiples are all 8
  const ys = new Set<string>();
  let q = ed.Point.ZERO;
  for (let i = 0; i < 8; i++, q = q.add(t)) {
    expect(q.isSmallOrder()).toBe(true);
    const b = q.toBytes();
    b[31] = b[31]! & 0x7f;
    ys.add(hex(b));
  }
  expect(q.is0()).toBe(true);
  expect(new Set(SMALL_ORDER_Y.map(hex))).toEqual(ys);
  expect(SMALL_ORDER_Y.length).toBe(ys.size);
});
