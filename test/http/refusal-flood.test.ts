/**
 * Unauthenticated refusals are bounded: a flood of junk resolutions from 20
 * addresses writes at most one `resolution.refused` event per address and
 * code per minute (with a count and a short sample), /metrics counts every
 * one, and an unauthenticated caller's error messages name no digest, role
 * or approver (a caller with the read token still gets the full message).
 */
import { afterEach, expect, test } from "bun:test";
import { appFixture, CASES, FIXTURE } from "./app-harness.ts";
import type { AppFixture } from "./app-harness.ts";

const R = FIXTURE.request;
let f: AppFixture | undefined;
afterEach(() => f?.close());

const refusedEvents = (fx: AppFixture) => fx.store.events({ types: ["resolution.refused"] });

test("a 20-address refusal flood writes bounded events; metrics count every refusal", async () => {
  f = appFixture({ deps: { rateLimit: null } });
  const before = refusedEvents(f).length;
  const junk = JSON.stringify({ type: "warrant.resolution/v1", approver: "x".repeat(300) });
  const sent: Array<Promise<Response>> = [];
  for (let a = 0; a < 20; a++) {
    for (let i = 0; i < 30; i++) {
      sent.push(f.post(R.id, junk, { ip: `198.51.100.${a}` } as RequestInit));
    }
  }
  const codes = new Set<string>();
  for (const r of await Promise.all(sent)) {
    expect(r.status).toBe(400);
    codes.add(((await r.json()) as { error: { code: string } }).error.code);
  }
  const events = refusedEvents(f).slice(before);
  expect(events.length).toBeLessThanOrEqual(20 * codes.size);
  expect(events.length).toBeGreaterThanOrEqual(20);
  for (const e of events) {
    expect(String(e.payload.source)).toMatch(/^http:198\.51\.100\.\d+$/);
    expect(e.payload.count).toBe(1);
    expect(JSON.stringify(e.payload).length).toBeLessThan(400);
  }
  // A minute later the next refusal from an address carries the count it stands for.
  f.clock.t += 60_000;
  await f.post(R.id, junk, { ip: "198.51.100.0" } as RequestInit);
  const last = refusedEvents(f).at(-1)!;
  expect(last.payload).toMatchObject({ source: "http:198.51.100.0", count: 30 });

  const metrics = await (await f.fetch("/metrics")).text();
  const counted = [...metrics.matchAll(
    /^warrant_resolutions_total\{result="refused",code="[a-z_]+"\} (\d+)$/gm,
  )].reduce((n, m) => n + Number(m[1]), 0);
  expect(counted).toBe(601);
});

test("unauthenticated callers are not told digests, roles or approver names", async () => {
  const token = "read-token-0123456789";
  f = appFixture({ token });
  const revealing = CASES.filter((c) =>
    ["digest_mismatch", "approver_not_eligible", "approver_unknown"].includes(
      String((c.expect as { code?: string }).code),
    )
  );
  expect(revealing.length).toBeGreaterThanOrEqual(3);
  const secrets = [
    FIXTURE.request.action_digest as string,
    "sha256:",
    "finance",
    "ops",
    "alice",
    "bob",
    "carol",
    "eve",
  ];
  for (const c of revealing) {
    const anon = await f.post(R.id, c.document);
    const body = (await anon.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe((c.expect as { code: string }).code);
    for (const s of secrets) {
      expect({ case: c.name, leaks: body.error.message.includes(s) ? s : null }).toEqual({
        case: c.name,
        leaks: null,
      });
    }
  }
  // With the read token the full message comes back.
  const c = revealing.find((x) => (x.expect as { code: string }).code === "digest_mismatch")!;
  const authed = await f.post(R.id, c.document, { headers: { authorization: `Bearer ${token}` } });
  const full = (await authed.json()) as { error: { message: string } };
  expect(full.error.message).toContain("sha256:");
});
