/**
 * `warrant serve` over real sockets against the compiled binary: auth,
 * approvals signed by an independent signer, idempotency, forgeries, limits,
 * SSE across processes, graceful shutdown, and a gate holding an action
 * while a separate server takes the approvals.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runCli, spawnGate } from "../e2e/harness.ts";
import type { Workspace } from "../e2e/harness.ts";
import { auth, holdPayment, httpWorkspace, startServe } from "./serve-harness.ts";
import type { Held, Served } from "./serve-harness.ts";
import { jcsFlat, signedResolution } from "./signer.ts";

let ws: Workspace;
let srv: Served;

beforeAll(async () => {
  ws = await httpWorkspace();
  srv = await startServe(ws);
}, 120_000);

afterAll(async () => {
  expect(await srv.stop()).toBe(0);
  ws.cleanup();
});

async function view(
  h: Held,
): Promise<{ request_id: string; action_id: string; action_digest: string }> {
  const r = await fetch(`${srv.url}/v1/approvals/${h.request_id}`, { headers: auth });
  expect(r.status).toBe(200);
  return await r.json() as { request_id: string; action_id: string; action_digest: string };
}

function post(requestId: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${srv.url}/v1/approvals/${encodeURIComponent(requestId)}/resolutions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

const codeOf = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

describe("warrant serve (binary)", () => {
  test("healthz without a token; reads 401 without it, 200 with it", async () => {
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    const r = await fetch(`${srv.url}/v1/approvals`);
    expect(r.status).toBe(401);
    expect(await codeOf(r)).toBe("unauthorized");
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${srv.url}/v1/approvals`, { headers: auth })).status).toBe(200);
    expect(srv.stderr()).not.toContain("test-read-token");
  });

  test("list, fetch, approve twice, re-POST is 200, action approved", async () => {
    const h = await holdPayment(ws);
    const list = await fetch(`${srv.url}/v1/approvals?state=pending`, { headers: auth });
    const items = ((await list.json()) as { items: Array<{ request_id: string }> }).items;
    expect(items.map((i) => i.request_id)).toContain(h.request_id);
    const v = await view(h);
    const alice = JSON.stringify(signedResolution(v, "alice"));
    const a = await post(h.request_id, alice);
    expect(a.status).toBe(201);
    expect(((await a.json()) as { state: string }).state).toBe("pending");
    const again = await post(h.request_id, alice);
    expect(again.status).toBe(200);
    const c = await post(h.request_id, JSON.stringify(signedResolution(v, "carol")));
    expect(c.status).toBe(201);
    const cb = await c.json() as { state: string; quorum: { state: string } };
    expect(cb.state).toBe("approved");
    expect(cb.quorum.state).toBe("approved");
    const act = await fetch(`${srv.url}/v1/actions/${h.action_id}`, { headers: auth });
    expect(((await act.json()) as { state: string }).state).toBe("approved");
    expect((await post(h.request_id, alice)).status).toBe(200);
  });

  test("forgeries are refused with the CLI's codes, and audited", async () => {
    const h = await holdPayment(ws);
    const v = await view(h);
    const valid = signedResolution(v, "alice");
    const cases: Array<[string, string, number, string]> = [
      [
        "wrong key",
        JSON.stringify(signedResolution(v, "alice", { signer: "bob" })),
        403,
        "resolution_signature_invalid",
      ],
      [
        "unknown approver",
        JSON.stringify(signedResolution(v, "eve", { signer: "dave" })),
        403,
        "approver_unknown",
      ],
      ["ineligible", JSON.stringify(signedResolution(v, "bob")), 403, "approver_not_eligible"],
      [
        "tampered decision",
        JSON.stringify({ ...valid, decision: "deny" }),
        403,
        "resolution_signature_invalid",
      ],
      [
        "wrong domain",
        JSON.stringify(signedResolution(v, "alice", { domain: "warrant:policy:v1\n" })),
        403,
        "resolution_signature_invalid",
      ],
      [
        "digest",
        JSON.stringify(
          signedResolution({ ...v, action_digest: `sha256:${"ab".repeat(32)}` }, "alice"),
        ),
        409,
        "digest_mismatch",
      ],
      [
        "expired",
        JSON.stringify(
          signedResolution(v, "alice", { now: Date.now() - 3_600_000, ttlMs: 60_000 }),
        ),
        422,
        "resolution_expired",
      ],
      [
        "duplicate key",
        `{"decision":"deny",${JSON.stringify(valid).slice(1)}`,
        400,
        "json_duplicate_key",
      ],
      ["malformed", "{nope", 400, "resolution_schema_invalid"],
      ["unsigned", jcsFlat({ ...valid, signature: "" }), 400, "resolution_schema_invalid"],
    ];
    for (const [name, body, status, code] of cases) {
      const r = await post(h.request_id, body);
      expect([name, r.status, await codeOf(r)]).toEqual([name, status, code]);
    }
    const ok = await post(h.request_id, JSON.stringify(valid));
    expect(ok.status).toBe(201);
    const replay = JSON.stringify(signedResolution(v, "carol", { nonce: valid.nonce }));
    const rr = await post(h.request_id, replay);
    expect([rr.status, await codeOf(rr)]).toEqual([409, "nonce_reused"]);
    const audit = await runCli(
      ["audit", "export", "--config", ws.configPath, "--format", "jsonl"],
      {
        cwd: ws.dir,
      },
    );
    const refused = audit.stdout.split("\n").filter((l) => l.includes('"resolution.refused"'));
    // Refusals from an unauthenticated sender are coalesced (one event per
    // source and code per minute, with a count): every code is audited, and
    // /metrics counts every refusal.
    const codes = new Set(refused.map((l) => JSON.parse(l).payload.code as string));
    for (const code of [...cases.map((x) => x[3]), "nonce_reused"]) {
      expect({ code, audited: codes.has(code) }).toEqual({ code, audited: true });
    }
    const metricsText = await (await fetch(`${srv.url}/metrics`, { headers: auth })).text();
    const counted = [...metricsText.matchAll(
      /^warrant_resolutions_total\{result="refused",code="[a-z_]+"\} (\d+)$/gm,
    )].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBeGreaterThanOrEqual(cases.length + 1);
  });

  test("413, 404, 415 and junk never 5xx", async () => {
    const big = await post("req_x", "x".repeat(20_000));
    expect([big.status, await codeOf(big)]).toEqual([413, "payload_too_large"]);
    const nf = await post("req_unknown", JSON.stringify({ type: "warrant.resolution/v1" }));
    expect(nf.status).toBeLessThan(500);
    const h = await holdPayment(ws);
    const v = await view({ ...h, request_id: h.request_id });
    const unknown = await post(
      "req_unknown",
      JSON.stringify(signedResolution({ ...v, request_id: "req_unknown" }, "alice")),
    );
    expect([unknown.status, await codeOf(unknown)]).toEqual([404, "request_not_found"]);
    const g = await fetch(`${srv.url}/v1/approvals/req_unknown`, { headers: auth });
    expect([g.status, await codeOf(g)]).toEqual([404, "request_not_found"]);
    const ct = await post(h.request_id, "{}", { "content-type": "text/plain" });
    expect(ct.status).toBe(415);
    const opt = await fetch(`${srv.url}/v1/approvals`, { method: "OPTIONS" });
    expect(opt.status).toBe(405);
    expect(opt.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("SSE: events from another process arrive; Last-Event-ID resumes", async () => {
    const ctl = new AbortController();
    const res = await fetch(`${srv.url}/v1/events?type=request.created`, {
      headers: auth,
      signal: ctl.signal,
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const h = await holdPayment(ws);
    let buf = "";
    const dec = new TextDecoder();
    const until = Date.now() + 5000;
    while (!buf.includes(h.action_id) && Date.now() < until) {
      const r = await reader.read();
      if (r.done) break;
      buf += dec.decode(r.value);
    }
    ctl.abort();
    expect(buf).toContain("event: request.created");
    expect(buf).toContain(h.action_id);
    const id = Number(/id: (\d+)\nevent: request\.created\ndata: [^\n]*\n/.exec(buf)![1]);

    const ctl2 = new AbortController();
    const again = await fetch(`${srv.url}/v1/events`, {
      headers: { ...auth, "last-event-id": String(id - 1) },
      signal: ctl2.signal,
    });
    const r2 = again.body!.getReader();
    let b2 = "";
    while (!b2.includes(`id: ${id}\n`)) {
      const r = await r2.read();
      if (r.done) break;
      b2 += dec.decode(r.value);
    }
    ctl2.abort();
    expect(b2).toMatch(new RegExp(`^[\\s\\S]*?id: ${id}\\nevent: request\\.created`));
    expect(b2).not.toContain(`id: ${id - 1}\n`);
  });

  test(
    "a gate holds an action; a separate serve takes two approvals; resume(wait_ms) completes",
    async () => {
      let runs = 0;
      const gate = await spawnGate(ws.configPath);
      try {
        await gate.registerTool("send_payment", ({ args }) => {
          runs++;
          return { paid: args };
        });
        const g = await gate.govern("send_payment", { amount: 300 });
        expect(g.phase).toBe("pending_approval");
        const held = g as unknown as { action_id: string; request_id: string };
        const t0 = Date.now();
        const waiting = gate.resume(held.action_id, held.request_id, { waitMs: 15_000 });
        const v = await view(held);
        expect((await post(held.request_id, JSON.stringify(signedResolution(v, "alice")))).status)
          .toBe(201);
        expect((await post(held.request_id, JSON.stringify(signedResolution(v, "carol")))).status)
          .toBe(201);
        const approvedAt = Date.now();
        const out = await waiting;
        expect(out.phase).toBe("completed");
        expect(runs).toBe(1);
        expect(Date.now() - approvedAt).toBeLessThan(2000);
        expect(Date.now() - t0).toBeLessThan(15_000);
      } finally {
        expect(await gate.close()).toBe(0);
      }
    },
    60_000,
  );

  test("metrics over the binary", async () => {
    const r = await fetch(`${srv.url}/metrics`, { headers: auth });
    const text = await r.text();
    expect(text).toContain("# TYPE warrant_decisions_total counter");
    expect(text).toMatch(/warrant_decisions_total\{effect="hold",kind=""\} \d+/);
    expect(text).toMatch(/warrant_resolutions_total\{result="refused",code="nonce_reused"\} 1/);
    expect(text).toContain("warrant_holds_open");
  });
});

describe("lifecycle (binary)", () => {
  test("SIGTERM with an open event stream exits 0 and ends the stream", async () => {
    const s = await startServe(ws);
    const res = await fetch(`${s.url}/v1/events`, { headers: auth });
    const reader = res.body!.getReader();
    await reader.read();
    const code = await s.stop("SIGTERM");
    expect(code).toBe(0);
    let done = false;
    for (let i = 0; i < 10 && !done; i++) {
      done = (await reader.read().catch(() => ({ done: true }))).done;
    }
    expect(done).toBe(true);
  });

  test("SIGTERM the moment it says listening: a clean stop, exit 0 (it was killed on Deno)", async () => {
    const codes: Array<number | null> = [];
    for (let i = 0; i < 3; i++) codes.push(await (await startServe(ws)).stop("SIGTERM"));
    expect(codes).toEqual([0, 0, 0]);
  });

  test("token_env set but unset in the environment: exit 1 before listening", async () => {
    await expect(startServe(ws, { env: { WARRANT_HTTP_TOKEN: "" } })).rejects.toThrow(/exited 1/);
  });

  test("429 from the rate limit (WARRANT_HTTP_RATE)", async () => {
    const s = await startServe(ws, { env: { WARRANT_HTTP_RATE: "1:3" } });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await fetch(`${s.url}/healthz`)).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect(await s.stop()).toBe(0);
  });

  test(
    "a read token a client could never send (not RFC 6750 syntax) is refused at start",
    async () => {
      const err = await startServe(ws, { env: { WARRANT_HTTP_TOKEN: "has space!" } }).then(
        async (s) => {
          await s.stop();
          return null;
        },
        (e: Error) => e.message,
      );
      expect(err).toContain("config_invalid");
      expect(err).toContain("RFC 6750");
      expect(err).not.toContain("has space!");
    },
    30_000,
  );

  test("warrant runtime gate --http serves the same app", async () => {
    const gate = await spawnGate(ws.configPath);
    await gate.close();
    const { GateClient } = await import("../../src/client/gate-client.ts");
    const { ensureBinary } = await import("../e2e/harness.ts");
    const g = await GateClient.spawn(
      [await ensureBinary(), "runtime", "gate", "--config", ws.configPath, "--http", "127.0.0.1:0"],
      { cwd: ws.dir, env: { ...process.env, WARRANT_HTTP_TOKEN: "tok" } },
    );
    try {
      let url = "";
      for (let i = 0; i < 100 && !url; i++) {
        url = /"url":"([^"]+)"/.exec(g.stderrText)?.[1] ?? "";
        if (!url) await Bun.sleep(20);
      }
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await fetch(`${url}/v1/approvals`, { headers: { authorization: "Bearer tok" } });
      expect(r.status).toBe(200);
      const inbox = await fetch(`${url}/`); // the approver's inbox, from the gate's own process
      expect(inbox.status).toBe(200);
      expect(await inbox.text()).toContain("<title>warrant inbox</title>");
      expect(inbox.headers.get("content-security-policy")).toContain("script-src 'self'");
    } finally {
      expect(await g.close()).toBe(0);
    }
  }, 30_000);
});
