/**
 * Webhooks a receiver can verify: every attempt is signed per Standard
 * Webhooks, checked here by two implementations that share no code with
 * warrant — the `standardwebhooks` npm package and a Python stdlib (hmac)
 * verifier — and carries a one-line summary and the request's inbox link.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { Webhook } from "standardwebhooks";
import { describeEvent, inboxUrl } from "../../src/app/notify-summary.ts";
import { webhookSink } from "../../src/bus/webhook-sink.ts";
import type { EventRecord } from "../../src/core/records.ts";
import { parseWebhookSecret } from "../../src/core/standard-webhooks.ts";
import { appFixture, FIXTURE } from "./app-harness.ts";
import type { AppFixture } from "./app-harness.ts";

const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;

interface Got {
  headers: Record<string, string>;
  body: string;
}

function receiver(statuses: number[] = []) {
  const got: Got[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response(null, { status: statuses.shift() ?? 204 });
    },
  });
  return { got, url: `http://127.0.0.1:${server.port}/hook`, stop: () => server.stop(true) };
}

const hasPython = spawnSync("python3", ["--version"]).status === 0;
if (!hasPython) {
  console.warn(
    "SKIP the Python hmac cross-check of webhook signatures: python3 is not on PATH " +
      "(the standardwebhooks npm check still runs)",
  );
}

/** Verify with Python's hmac module (stdlib only): the scheme from its spec, not our code. */
function pythonVerifies(secret: string, g: Got): boolean {
  const script = `
import base64, hashlib, hmac, json, sys
d = json.load(sys.stdin)
key = base64.b64decode(d["secret"][len("whsec_"):])
h = d["headers"]
signed = f'{h["webhook-id"]}.{h["webhook-timestamp"]}.{d["body"]}'.encode()
want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
sigs = [s.split(",", 1)[1] for s in h["webhook-signature"].split(" ") if s.startswith("v1,")]
sys.exit(0 if any(hmac.compare_digest(want, s) for s in sigs) else 1)
`;
  const r = spawnSync("python3", ["-c", script], {
    input: JSON.stringify({ secret, headers: g.headers, body: g.body }),
  });
  return r.status === 0;
}

let fx: AppFixture;
beforeAll(() => {
  fx = appFixture();
});
afterAll(() => fx.close());

const heldEvent = (): EventRecord => ({
  seq: 7,
  at: FIXTURE.now,
  type: "request.created",
  action_id: FIXTURE.request.action_id,
  payload: { request_id: FIXTURE.request.id },
  prev_hash: "0".repeat(64),
  hash: "ab".repeat(32),
});

describe("Standard Webhooks", () => {
  test("signed, verifiable by standardwebhooks (npm) and Python hmac; summary and inbox link", async () => {
    const r = receiver();
    try {
      const sink = webhookSink({
        url: r.url,
        secret: parseWebhookSecret(SECRET),
        describe: (e) => ({ ...describeEvent(fx.store, e, "https://warrant.example.com/") }),
      });
      await sink.write([heldEvent()]);
      expect(r.got.length).toBe(1);
      const g = r.got[0]!;
      expect(g.headers["webhook-id"]).toBe(`evt_${"ab".repeat(16)}`);
      expect(g.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(Math.abs(Number(g.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(
        300,
      );
      const payload = new Webhook(SECRET).verify(g.body, g.headers) as Record<string, unknown>;
      if (hasPython) expect(pythonVerifies(SECRET, g)).toBe(true);
      expect(payload).toMatchObject({
        type: "request.created",
        request_id: FIXTURE.request.id,
        tool: "send_payment",
        inbox_url: `https://warrant.example.com/#request=${FIXTURE.request.id}`,
        summary:
          "Approval needed: send_payment (held by large-payments) — 2 of finance, decide by " +
          new Date(FIXTURE.request.deadline).toISOString().replace(".000Z", "Z"),
      });
      expect(g.body).not.toContain("acme-supplies"); // arguments never leave in a notification
      // a tampered body, another secret, or a stale timestamp are refused by the receiver
      expect(() => new Webhook(SECRET).verify(g.body.replace("2 of", "1 of"), g.headers)).toThrow();
      const other = `whsec_${Buffer.from("x".repeat(32)).toString("base64")}`;
      expect(() => new Webhook(other).verify(g.body, g.headers)).toThrow();
      if (hasPython) expect(pythonVerifies(other, g)).toBe(false);
    } finally {
      r.stop();
    }
  });

  test("a retry keeps webhook-id and is signed afresh; unsigned without a secret", async () => {
    const r = receiver([503, 500]);
    let t = Date.now();
    try {
      const sink = webhookSink({
        url: r.url,
        secret: parseWebhookSecret(SECRET),
        backoffMs: 1,
        wallClock: () => (t += 7000),
      });
      await sink.write([heldEvent()]);
      expect(r.got.length).toBe(3);
      const ids = new Set(r.got.map((g) => g.headers["webhook-id"]));
      expect(ids.size).toBe(1);
      const stamps = r.got.map((g) => Number(g.headers["webhook-timestamp"]));
      expect(stamps[1]! - stamps[0]!).toBe(7);
      expect(new Set(r.got.map((g) => g.headers["webhook-signature"])).size).toBe(3);
      const wh = new Webhook(SECRET);
      for (const g of r.got) {
        if (hasPython) expect(pythonVerifies(SECRET, g)).toBe(true);
        expect(() =>
          wh.verify(g.body, { ...g.headers, "webhook-timestamp": String(Date.now() / 1000 | 0) })
        ).toThrow();
      }
    } finally {
      r.stop();
    }
    const plain = receiver();
    try {
      await webhookSink({ url: plain.url }).write([heldEvent()]);
      expect(plain.got[0]!.headers["webhook-signature"]).toBeUndefined();
      expect(plain.got[0]!.headers["webhook-id"]).toBe(`evt_${"ab".repeat(16)}`);
    } finally {
      plain.stop();
    }
  });

  test("secrets must be whsec_ + base64 of at least 16 bytes", () => {
    expect(parseWebhookSecret(SECRET).length).toBe(32);
    for (const bad of ["", "whsec_", "whsec_c2hvcnQ=", "0123456789abcdef0123", "whsec_!!!!"]) {
      expect(() => parseWebhookSecret(bad)).toThrow(/whsec_/);
    }
  });

  test("summaries of outcomes, and the link format", () => {
    const e = (type: string): EventRecord => ({ ...heldEvent(), type });
    expect(describeEvent(fx.store, e("request.approved"), null)).toEqual({
      summary: `Approved: send_payment (request ${FIXTURE.request.id})`,
      request_id: FIXTURE.request.id,
      tool: "send_payment",
      inbox_url: null,
    });
    expect(describeEvent(fx.store, e("request.rejected"), "http://h").summary).toBe(
      `Rejected: send_payment (request ${FIXTURE.request.id})`,
    );
    expect(describeEvent(fx.store, e("request.expired"), "http://h").summary).toMatch(
      /^Expired without a decision: send_payment/,
    );
    expect(inboxUrl("http://h:1/", "req a/b")).toBe("http://h:1/#request=req%20a%2Fb");
  });
});
