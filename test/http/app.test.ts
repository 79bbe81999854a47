/**
 * The HTTP app in process (app.fetch over a real store): routes, the error
 * table, guards, and the whole resolution forgery corpus over HTTP — each
 * refusal with its status, its code, and an audit record.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ERROR_CODES } from "../../src/core/errors.ts";
import { HTTP_STATUS } from "../../src/transport/http/app.ts";
import { appFixture, CASES, FIXTURE, seedRequest } from "./app-harness.ts";
import type { AppFixture } from "./app-harness.ts";
import { signedResolution } from "./signer.ts";

let fx: AppFixture | null = null;
afterEach(() => {
  fx?.close();
  fx = null;
});
const open = (o?: Parameters<typeof appFixture>[0]) => (fx = appFixture(o));
const R = FIXTURE.request;
const refusedCount = (f: AppFixture) => f.store.events({ types: ["resolution.refused"] }).length;

describe("error table", () => {
  test("every error code maps to a status; client-caused ones to a 4xx", () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
    const clientCodes = ERROR_CODES.filter((c) =>
      c.startsWith("resolution_") || c.startsWith("request_") || c.startsWith("json_") ||
      [
        "action_mismatch",
        "digest_mismatch",
        "approver_unknown",
        "approver_not_eligible",
        "nonce_reused",
      ]
        .includes(c)
    );
    for (const code of clientCodes) expect(HTTP_STATUS[code]).toBeLessThan(500);
  });
});

describe("resolution corpus over HTTP", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const f = open({ seed: c.context?.request !== null });
      if (c.context?.request_state) {
        const st = c.context.request_state;
        f.store.tx((tx) => {
          tx.resolveRequest(R.id, st, FIXTURE.now - 1000);
          tx.transition(R.action_id, ["held"], st, {}, FIXTURE.now - 1000);
        });
      }
      if (c.context?.now !== undefined) f.clock.t = c.context.now;
      const before = refusedCount(f);
      const res = await f.post(R.id, c.document);
      const body = await res.json() as { status?: string; error?: { code: string } };
      if ("ok" in c.expect) {
        expect(res.status).toBe(201);
        expect(body.status).toBe("accepted");
        const again = await f.post(R.id, c.document);
        expect(again.status).toBe(200);
        expect(((await again.json()) as { status: string }).status).toBe("duplicate");
        expect(f.store.listResolutions(R.id).length).toBe(1);
      } else {
        const code = c.expect.code as keyof typeof HTTP_STATUS;
        expect(body.error?.code).toBe(code);
        expect(res.status).toBe(HTTP_STATUS[code]);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(refusedCount(f)).toBe(before + 1);
        expect(f.store.listResolutions(R.id).length).toBe(0);
      }
    });
  }
});

describe("approvals", () => {
  test("list, fetch, two approvals reach quorum, state and quorum in the reply", async () => {
    const f = open();
    const list = await f.fetch("/v1/approvals?state=pending");
    expect(list.status).toBe(200);
    const lb = await list.json() as { items: Array<{ request_id: string }>; next_cursor: null };
    expect(lb.items.map((i) => i.request_id).sort()).toEqual([R.id, "req_USED"].sort());
    expect(lb.next_cursor).toBeNull();

    const one = await f.fetch(`/v1/approvals/${R.id}`);
    const v = await one.json() as Record<string, unknown>;
    expect(v.action_digest).toBe(R.action_digest);
    expect((v.resolution_template as Record<string, string>).request_id).toBe(R.id);
    expect(v.state).toBe("pending");

    const req = { request_id: R.id, action_id: R.action_id, action_digest: R.action_digest };
    const a = await f.post(
      R.id,
      JSON.stringify(signedResolution(req, "alice", { now: f.clock.t })),
    );
    expect(a.status).toBe(201);
    const ab = await a.json() as { state: string; quorum: { state: string } };
    expect(ab.state).toBe("pending");
    expect(ab.quorum.state).toBe("pending");
    const c = await f.post(
      R.id,
      JSON.stringify(signedResolution(req, "carol", { now: f.clock.t })),
    );
    expect(c.status).toBe(201);
    const cb = await c.json() as {
      state: string;
      quorum: { state: string };
      resolutions: unknown[];
    };
    expect(cb.state).toBe("approved");
    expect(cb.quorum.state).toBe("approved");
    expect(cb.resolutions.length).toBe(2);
    expect(f.store.getAction(R.action_id)!.state).toBe("approved");

    const act = await f.fetch(`/v1/actions/${R.action_id}`);
    expect(act.status).toBe(200);
    const view = (await act.json()) as { state: string; via: string | null };
    expect(view.state).toBe("approved");
    expect(view.via).toBe(null);
    const late = await f.post(
      R.id,
      JSON.stringify(signedResolution(req, "alice", { now: f.clock.t })),
    );
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("request_closed");
  });

  test("cursor pagination is stable and complete", async () => {
    const f = open({ seed: false });
    for (let i = 0; i < 7; i++) {
      seedRequest(f.store, FIXTURE.now, { request: `req_${i}`, action: `act_${i}` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const r = await f.fetch(`/v1/approvals?limit=3${q}`);
      const b = await r.json() as {
        items: Array<{ request_id: string }>;
        next_cursor: string | null;
      };
      seen.push(...b.items.map((i) => i.request_id));
      cursor = b.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(["req_0", "req_1", "req_2", "req_3", "req_4", "req_5", "req_6"]);
    for (const bad of ["limit=0", "limit=501", "limit=x", "state=open", "cursor=%%%"]) {
      const r = await f.fetch(`/v1/approvals?${bad}`);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("invalid_argument");
    }
  });

  test("404s: unknown request, unknown action, unknown route", async () => {
    const f = open();
    const a = await f.fetch("/v1/approvals/req_nope");
    expect(a.status).toBe(404);
    expect(((await a.json()) as { error: { code: string } }).error.code).toBe("request_not_found");
    const b = await f.fetch("/v1/actions/act_nope");
    expect(b.status).toBe(404);
    expect(((await b.json()) as { error: { code: string } }).error.code).toBe("not_found");
    const c = await f.fetch("/nope");
    expect(c.status).toBe(404);
    const before = refusedCount(f);
    const req = { request_id: "req_nope", action_id: "act_x", action_digest: R.action_digest };
    const d = await f.post("req_nope", JSON.stringify(signedResolution(req, "alice")));
    expect(d.status).toBe(404);
    expect(((await d.json()) as { error: { code: string } }).error.code).toBe("request_not_found");
    expect(refusedCount(f)).toBe(before + 1);
  });
});

describe("guards", () => {
  test("token: 401 without or with a wrong one, 200 with it; healthz and POST need none", async () => {
    const f = open({ token: "s3cret-token" });
    expect((await f.fetch("/healthz")).status).toBe(200);
    const no = await f.fetch("/v1/approvals");
    expect(no.status).toBe(401);
    expect(no.headers.get("www-authenticate")).toContain("Bearer");
    expect(((await no.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const wrong = await f.fetch("/metrics", { headers: { authorization: "Bearer s3cret-tokeN" } });
    expect(wrong.status).toBe(401);
    const ok = await f.fetch("/v1/approvals", {
      headers: { authorization: "Bearer s3cret-token" },
    });
    expect(ok.status).toBe(200);
    const req = { request_id: R.id, action_id: R.action_id, action_digest: R.action_digest };
    const p = await f.post(
      R.id,
      JSON.stringify(signedResolution(req, "alice", { now: f.clock.t })),
    );
    expect(p.status).toBe(201);
    expect(f.logs.some((l) => JSON.stringify(l).includes("s3cret"))).toBe(false);
  });

  test("bearerAuth: every malformed or foreign Authorization is our 401 problem, not Hono's 400", async () => {
    const f = open({ token: "s3cret-token" });
    for (const h of ["Basic czNjcmV0", "Bearer", "Bearer a b", "Bearer s3cret-token!", "bearer"]) {
      const r = await f.fetch("/v1/approvals", { headers: { authorization: h } });
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      expect(r.headers.get("www-authenticate")).toBe('Bearer realm="warrant"');
      expect(((await r.json()) as { code: string }).code).toBe("unauthorized");
    }
    // the scheme is case-insensitive, as before
    const lower = await f.fetch("/v1/approvals", {
      headers: { authorization: "bearer s3cret-token" },
    });
    expect(lower.status).toBe(200);
    // unknown paths and 405s on guarded paths still need the token first
    expect((await f.fetch("/nope")).status).toBe(401);
    expect((await f.fetch("/v1/events", { method: "POST" })).status).toBe(401);
    // public paths answer their 405 without one
    expect((await f.fetch("/healthz", { method: "POST" })).status).toBe(405);
    expect((await f.fetch("/", { method: "DELETE" })).status).toBe(405);
  });

  test("latency metrics keep their route labels (route patterns, ids folded to :id)", async () => {
    const f = open();
    await f.fetch(`/v1/approvals/${R.id}`);
    await f.fetch(`/v1/actions/${R.action_id}`);
    await f.fetch("/");
    await f.fetch("/no/such/route");
    await f.post(R.id, "{");
    const text = await (await f.fetch("/metrics")).text();
    for (
      const label of [
        'route="/v1/approvals/:id",method="GET",status="200"',
        'route="/v1/actions/:id",method="GET",status="200"',
        'route="inbox",method="GET",status="200"',
        'route="other",method="GET",status="404"',
        'route="/v1/approvals/:id/resolutions",method="POST",status="400"',
      ]
    ) expect(text).toContain(label);
  });

  test("413 oversized body, 415 wrong content type, 400 malformed JSON (audited)", async () => {
    const f = open();
    const big = await f.post(R.id, "x".repeat(17 * 1024));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe(
      "payload_too_large",
    );
    const ct = await f.post(R.id, "{}", { headers: { "content-type": "text/plain" } });
    expect(ct.status).toBe(415);
    const before = refusedCount(f);
    const bad = await f.post(R.id, "{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(
      "resolution_schema_invalid",
    );
    expect(refusedCount(f)).toBe(before + 1);
  });

  test("431 too many headers, 405 OPTIONS without CORS headers, 405 wrong method", async () => {
    const f = open();
    const headers: Record<string, string> = {};
    for (let i = 0; i < 70; i++) headers[`x-h${i}`] = "v";
    const many = await f.fetch("/healthz", { headers });
    expect(many.status).toBe(431);
    const opt = await f.fetch("/v1/approvals", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(opt.status).toBe(405);
    for (const [k] of opt.headers) expect(k.startsWith("access-control-")).toBe(false);
    const del = await f.fetch(`/v1/approvals/${R.id}`, { method: "DELETE" });
    expect(del.status).toBe(405);
  });

  test("429 past the per-client burst; other clients unaffected", async () => {
    const f = open({ deps: { rateLimit: { perSecond: 1, burst: 5 } } });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await f.fetch("/healthz", { ip: "10.9.9.9" })).status);
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes.slice(5)).toEqual([429, 429, 429]);
    expect((await f.fetch("/healthz", { ip: "10.9.9.8" })).status).toBe(200);
    f.clock.t += 2000;
    expect((await f.fetch("/healthz", { ip: "10.9.9.9" })).status).toBe(200);
  });

  test("hostile paths and queries never 5xx", async () => {
    const f = open();
    const paths = [
      "/v1/approvals/%00",
      `/v1/approvals/${"a".repeat(5000)}`,
      "/v1/approvals/%E0%A4%A",
      "/v1/actions/..%2F..%2Fetc",
      "/v1/events?after=-1",
      "/v1/events?after=1e9",
      "/v1/events?type=<script>",
      `/v1/events?action=${"x".repeat(300)}`,
      "/v1/approvals?limit=99999999999999999999",
    ];
    for (const p of paths) {
      const r = await f.fetch(p);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    for (
      const body of ["", "null", "[]", "1", '"x"', "{}", "\u0000", "\uD800", "{".repeat(10000)]
    ) {
      const r = await f.post(R.id, body);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect(f.logs.filter((l) => l.level === "error")).toEqual([]);
  });
});

describe("metrics", () => {
  test("Prometheus text with decisions, resolutions by code, holds open, latencies", async () => {
    const f = open();
    const req = { request_id: R.id, action_id: R.action_id, action_digest: R.action_digest };
    await f.post(R.id, JSON.stringify(signedResolution(req, "alice", { now: f.clock.t })));
    await f.post(R.id, JSON.stringify(signedResolution(req, "bob", { now: f.clock.t })));
    seedRequest(f.store, f.clock.t, { request: "req_NEW", action: "act_NEW" });
    f.hub.pump();
    const r = await f.fetch("/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/plain");
    const text = await r.text();
    expect(text).toContain('warrant_resolutions_total{result="accepted",code=""} 1');
    expect(text).toContain(
      'warrant_resolutions_total{result="refused",code="approver_not_eligible"} 1',
    );
    expect(text).toContain('warrant_decisions_total{effect="hold",kind=""} 1');
    expect(text).toContain("warrant_holds_open 3");
    expect(text).toContain('warrant_store_commit_seconds_count{op="resolution"} 2');
    expect(text).toMatch(
      /warrant_http_request_seconds_bucket\{route="\/v1\/approvals\/:id\/resolutions"/,
    );
  });
});

describe("the POST reply's view", () => {
  test("a deny's reply shows the reason its transaction wrote, as a GET after it; so does a repeat", async () => {
    const f = open();
    const req = { request_id: R.id, action_id: R.action_id, action_digest: R.action_digest };
    const before = await (await f.fetch(`/v1/approvals/${R.id}`)).json() as { reason: unknown };
    const body = JSON.stringify(
      signedResolution(req, "alice", { now: f.clock.t, decision: "deny" }),
    );
    const res = await f.post(R.id, body);
    expect(res.status).toBe(201);
    const posted = await res.json() as Record<string, unknown>;
    expect(posted.state).toBe("rejected");
    expect(posted.reason).toBe("denied by alice");
    expect(posted.reason).not.toEqual(before.reason);
    const got = await (await f.fetch(`/v1/approvals/${R.id}`)).json() as Record<string, unknown>;
    expect(got.reason).toBe(posted.reason);
    const { status: _s, ...postedView } = posted;
    expect(postedView).toEqual(got);
    const again = await f.post(R.id, body);
    expect(again.status).toBe(200);
    const repeat = await again.json() as Record<string, unknown>;
    expect(repeat.status).toBe("duplicate");
    expect(repeat.reason).toBe("denied by alice");
  });
});
