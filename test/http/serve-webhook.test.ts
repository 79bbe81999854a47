/**
 * `warrant serve` (the compiled binary) posting signed webhooks: a payment
 * held by `warrant exec` reaches a receiver as a Standard Webhooks message
 * the `standardwebhooks` package verifies, with a summary and the request's
 * link under http.public_url. A configured but unset secret stops the start.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { makeWorkspace } from "../e2e/harness.ts";
import type { Workspace } from "../e2e/harness.ts";
import { holdPayment, httpPolicy, startServe } from "./serve-harness.ts";

const SECRET = `whsec_${Buffer.from("serve-webhook-test-secret-32byte").toString("base64")}`;
const got: Array<{ headers: Record<string, string>; body: string }> = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
    return new Response(null, { status: 204 });
  },
});
let ws: Workspace;

beforeAll(async () => {
  ws = await makeWorkspace({
    policy: httpPolicy(),
    config: {
      http: { token_env: "WARRANT_HTTP_TOKEN", public_url: "https://approvals.example.com" },
      notify: {
        webhook_url: `http://127.0.0.1:${receiver.port}/warrant`,
        webhook_secret_env: "WARRANT_WEBHOOK_SECRET",
      },
      tools: { send_payment: { command: ["/bin/echo", "paid {amount}"] } },
    },
  });
}, 60_000);

afterAll(() => {
  receiver.stop(true);
  ws.cleanup();
});

test("a hold reaches the receiver signed, summarised and linked", async () => {
  const srv = await startServe(ws, { env: { WARRANT_WEBHOOK_SECRET: SECRET } });
  try {
    const h = await holdPayment(ws, 250);
    const until = Date.now() + 10_000;
    let msg: Record<string, unknown> | undefined;
    while (!msg && Date.now() < until) {
      const g = got.find((x) => JSON.parse(x.body).type === "request.created");
      if (g) msg = new Webhook(SECRET).verify(g.body, g.headers) as Record<string, unknown>;
      else await Bun.sleep(50);
    }
    expect(msg).toMatchObject({
      type: "request.created",
      request_id: h.request_id,
      tool: "send_payment",
      inbox_url: `https://approvals.example.com/#request=${h.request_id}`,
    });
    expect(msg!.summary).toMatch(
      /^Approval needed: send_payment \(held by large-payments\) — 2 of finance, decide by \d{4}-/,
    );
    expect(srv.stderr()).not.toContain(SECRET.slice(6));
  } finally {
    expect(await srv.stop()).toBe(0);
  }
}, 60_000);

test("webhook_secret_env set but unset in the environment: exit 1 before listening", async () => {
  await expect(startServe(ws, { env: { WARRANT_WEBHOOK_SECRET: "" } })).rejects.toThrow(
    /exited 1.*webhook_secret_env/s,
  );
});
