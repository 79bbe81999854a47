import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  buildResolution,
  isoUtc,
  resolutionTemplate,
  signResolution,
} from "../../../src/core/approval/request.ts";
import type { ApprovalRequestView } from "../../../src/core/approval/request.ts";
import {
  parseIsoUtc,
  RESOLUTION_SKEW_MS,
  tallyQuorum,
  verifyResolution,
} from "../../../src/core/approval/resolution.ts";
import type { ResolutionContext } from "../../../src/core/approval/resolution.ts";
import { decodeHex } from "../../../src/core/base64.ts";

const read = (p: string) => JSON.parse(readFileSync(new URL(p, import.meta.url), "utf8"));
const FX = read("../../vectors/resolutions/fixture.json");
const CASES = read("../../vectors/resolutions/cases.json").cases;
const SEEDS = read("../../fixtures/keys/test-seeds.json").seeds as Record<string, string>;

function ctxFor(context: Record<string, unknown> = {}): ResolutionContext {
  const request: ApprovalRequestView | null = "request" in context ? (context.request as null) : {
    ...FX.request,
    state: (context.request_state as ApprovalRequestView["state"]) ?? "pending",
  };
  return {
    request,
    approvers: FX.approvers,
    now: (context.now as number) ?? FX.now,
    skewMs: FX.skew_ms,
    maxLifetimeMs: FX.max_lifetime_ms,
    nonceUsed: (n) => FX.used_nonces.includes(n),
  };
}

describe("resolution forgery corpus", () => {
  test("has at least 30 cases and the skew is the stated one", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(FX.skew_ms).toBe(RESOLUTION_SKEW_MS);
  });
  for (const c of CASES) {
    test(c.name, () => {
      const r = verifyResolution(c.document, ctxFor(c.context));
      if (c.expect.ok) expect(r.ok ? "ok" : `${r.code}: ${r.message}`).toBe("ok");
      else expect(r.ok ? "ok" : r.code).toBe(c.expect.code);
    });
  }
  test("a request lookup function is accepted", () => {
    const valid = CASES.find((c: { name: string }) => c.name === "valid approve by alice");
    const r = verifyResolution(valid.document, {
      ...ctxFor(),
      request: (id) => (id === FX.request.id ? FX.request : null),
    });
    expect(r.ok).toBe(true);
  });
});

describe("signing a resolution (approver side)", () => {
  const seed = decodeHex(SEEDS.carol!)!;
  const unsigned = buildResolution({
    request: FX.request,
    approver: "carol",
    decision: "approve",
    issuedAt: FX.now,
    expiresAt: FX.now + 10 * 60_000,
    nonce: new Uint8Array(16).fill(42),
    reason: "ok",
  });
  test("round trip through verifyResolution", () => {
    const r = verifyResolution(JSON.stringify(signResolution(unsigned, seed)), ctxFor());
    expect(r.ok ? "ok" : r.message).toBe("ok");
  });
  test("template carries the request's fields", () => {
    const t = resolutionTemplate(FX.request);
    expect(t.request_id).toBe(FX.request.id);
    expect(t.action_digest).toBe(FX.request.action_digest);
    expect(t.type).toBe("warrant.resolution/v1");
  });
  test("buildResolution refuses a short nonce", () => {
    expect(() =>
      buildResolution({
        ...{ request: FX.request, approver: "a", decision: "deny" },
        issuedAt: 1,
        expiresAt: 2,
        nonce: new Uint8Array(8),
      })
    )
      .toThrow("16");
  });
  test("ISO UTC", () => {
    expect(isoUtc(Date.UTC(2026, 10, 23, 10))).toBe("2026-11-23T10:00:00Z");
    expect(parseIsoUtc("2026-11-23T10:00:00Z")).toBe(Date.UTC(2026, 10, 23, 10));
    expect(parseIsoUtc("2026-11-23T10:00:00.5Z")).toBe(Date.UTC(2026, 10, 23, 10, 0, 0, 500));
    for (
      const bad of [
        "2026-11-23 10:00:00Z",
        "2026-11-23T10:00:00",
        "2026-13-01T00:00:00Z",
        "2026-11-23T24:00:00Z",
      ]
    ) {
      expect(parseIsoUtc(bad)).toBeNull();
    }
  });
  test("ISO UTC: the calendar is checked exactly as a Date round trip would", () => {
    // What parseIsoUtc did before it checked by arithmetic: Date.UTC, then
    // every field read back. Every day-of-month edge of years around the
    // leap rules, times at and past their limits, and years 0–99 (which
    // Date.UTC reads as 1900–1999, so the round trip refuses them).
    const roundTrip = (t: string): number | null => {
      const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/.exec(t);
      if (!m) return null;
      const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as number[];
      const v = Date.UTC(y!, mo! - 1, d, h, mi, s, m[7] ? Number(m[7].padEnd(3, "0")) : 0);
      const b = new Date(v);
      return b.getUTCFullYear() === y && b.getUTCMonth() === mo! - 1 && b.getUTCDate() === d &&
          b.getUTCHours() === h && b.getUTCMinutes() === mi && b.getUTCSeconds() === s
        ? v
        : null;
    };
    const p2 = (n: number) => String(n).padStart(2, "0");
    let checked = 0;
    for (const y of [0, 1, 99, 100, 1600, 1700, 1900, 2000, 2023, 2024, 2100, 2400, 9999]) {
      for (let mo = 0; mo <= 13; mo++) {
        for (let d = 0; d <= 32; d++) {
          for (const [h, mi, s] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [0, 60, 0], [0, 0, 60]]) {
            const t = `${String(y).padStart(4, "0")}-${p2(mo)}-${p2(d)}T${p2(h!)}:${p2(mi!)}:${
              p2(s!)
            }.25Z`;
            expect(parseIsoUtc(t)).toBe(roundTrip(t));
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(13 * 14 * 33 * 5);
    expect(parseIsoUtc("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoUtc("2100-02-29T00:00:00Z")).toBeNull();
    expect(parseIsoUtc("0099-01-01T00:00:00Z")).toBeNull();
  });
});

describe("quorum", () => {
  const req = {
    id: "r1",
    requirements: [
      { rule: "large", quorum: 2, roles: ["finance"], timeout_ms: null },
      { rule: "ops-ok", quorum: 1, roles: ["ops"], timeout_ms: null },
    ],
  };
  const ap = FX.approvers;
  const res = (approver: string, decision: "approve" | "deny" = "approve", request_id = "r1") => ({
    request_id,
    approver,
    decision,
  });

  test("pending until every requirement reaches quorum", () => {
    expect(tallyQuorum(req, [res("alice")], ap).state).toBe("pending");
    expect(tallyQuorum(req, [res("alice"), res("alice")], ap).progress[0]!.approvers).toEqual([
      "alice",
    ]);
    expect(tallyQuorum(req, [res("alice"), res("carol")], ap).state).toBe("approved");
  });
  test("one approver counts toward each requirement they are eligible for", () => {
    const t = tallyQuorum(req, [res("alice"), res("carol")], ap);
    expect(t.progress.map((p) => p.approvers)).toEqual([["alice", "carol"], ["alice"]]);
  });
  test("deny wins, in any order", () => {
    expect(tallyQuorum(req, [res("alice"), res("carol"), res("bob", "deny")], ap).state).toBe(
      "rejected",
    );
    expect(tallyQuorum(req, [res("bob", "deny"), res("alice"), res("carol")], ap).denied_by)
      .toEqual(["bob"]);
  });
  test("ineligible, unknown and other-request resolutions do not count", () => {
    const one = { id: "r1", requirements: [req.requirements[0]!] };
    expect(
      tallyQuorum(one, [res("bob", "deny"), res("eve", "deny"), res("carol", "deny", "r2")], ap)
        .state,
    )
      .toBe("pending");
    expect(tallyQuorum(one, [res("alice"), res("__proto__")], ap).progress[0]!.approvers).toEqual([
      "alice",
    ]);
  });
  test("Map approvers", () => {
    const m = new Map(Object.entries(ap)) as Map<string, { key: string; roles: string[] }>;
    expect(tallyQuorum(req, [res("alice"), res("carol")], m).state).toBe("approved");
  });
});
