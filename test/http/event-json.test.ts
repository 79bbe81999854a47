/**
 * The event JSON has one definition (src/protocol/events.ts): a real SSE
 * stream from `warrant serve` (the compiled binary) and a real webhook
 * delivery from it validate against those schemas — strict objects, so a
 * field added, dropped or retyped on either path fails here. The SSE side
 * is read with the TS client's reader (src/client/events.ts), which
 * validates each frame itself; the raw frames are checked independently too.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readEvents } from "../../src/client/events.ts";
import { EventJsonSchema, WebhookEventSchema } from "../../src/protocol/events.ts";
import { makeWorkspace } from "../e2e/harness.ts";
import type { Workspace } from "../e2e/harness.ts";
import { auth, holdPayment, httpPolicy, startServe, TOKEN } from "./serve-harness.ts";
import type { Served } from "./serve-harness.ts";

const hooks: string[] = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    hooks.push(await req.text());
    return new Response(null, { status: 204 });
  },
});
let ws: Workspace;
let srv: Served;

beforeAll(async () => {
  ws = await makeWorkspace({
    policy: httpPolicy(),
    config: {
      http: { token_env: "WARRANT_HTTP_TOKEN", public_url: "https://approvals.example.com" },
      notify: { webhook_url: `http://127.0.0.1:${receiver.port}/hook` },
      tools: { send_payment: { command: ["/bin/echo", "paid {amount}"] } },
    },
  });
  srv = await startServe(ws);
  await holdPayment(ws, 250);
  await holdPayment(ws, 300);
}, 60_000);

afterAll(async () => {
  await srv.stop();
  receiver.stop(true);
  ws.cleanup();
});

test("a real SSE stream: every frame is an EventJson (client reader and raw frames)", async () => {
  const ctl = new AbortController();
  const seen: Array<{ seq: number; type: string }> = [];
  const timer = setTimeout(() => ctl.abort(), 10_000);
  for await (const e of readEvents(srv.url, { token: TOKEN, after: 0, signal: ctl.signal })) {
    seen.push({ seq: e.seq, type: e.type });
    if (seen.filter((x) => x.type === "request.created").length === 2) break;
  }
  clearTimeout(timer);
  expect(seen.map((x) => x.seq)).toEqual(seen.map((_, i) => i + 1));
  expect(seen.map((x) => x.type)).toContain("action.held");

  // The raw stream, parsed here without the client: the same schema holds.
  const res = await fetch(`${srv.url}/v1/events?after=0`, { headers: auth });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(`\nid: ${seen.length}\n`)) text += (await reader.read()).value ?? "";
  await reader.cancel();
  const frames = text.split("\n\n").filter((f) => f.includes("\ndata: "));
  expect(frames.length).toBeGreaterThanOrEqual(seen.length);
  for (const f of frames) {
    const data = f.split("\n").find((l) => l.startsWith("data: "))!.slice(6);
    const e = EventJsonSchema.parse(JSON.parse(data));
    expect(f).toContain(`id: ${e.seq}\nevent: ${e.type}\n`);
  }
}, 30_000);

test("a real webhook delivery: every body is a WebhookEvent", async () => {
  const until = Date.now() + 10_000;
  while (hooks.filter((h) => h.includes('"request.created"')).length < 2 && Date.now() < until) {
    await Bun.sleep(50);
  }
  expect(hooks.length).toBeGreaterThanOrEqual(2);
  for (const body of hooks) {
    const e = WebhookEventSchema.parse(JSON.parse(body));
    expect(e.type.length).toBeGreaterThan(0);
  }
  const created = hooks.map((h) => WebhookEventSchema.parse(JSON.parse(h))).filter((e) =>
    e.type === "request.created"
  );
  expect(created[0]!.inbox_url).toMatch(/^https:\/\/approvals\.example\.com\/#request=req_/);
  // the strict schema is what makes this meaningful: an unknown field fails
  expect(WebhookEventSchema.safeParse({ ...created[0]!, extra: 1 }).success).toBe(false);
  expect(EventJsonSchema.safeParse({ ...created[0]! }).success).toBe(false); // no hash
}, 30_000);
