/**
 * The approver's inbox in a real browser (chromium via playwright-core)
 * against the compiled binary: a live gate holds payments, `warrant serve`
 * over the same store shows them, approvers sign in the page.
 *
 * - the page asks for the token and shows nothing without it;
 * - a held request appears without a reload, with quorum progress and time left;
 * - alice (warrant key file, WebCrypto) then carol (PKCS#8 PEM, @noble/ed25519
 *   fallback) approve; the agent's resume completes;
 * - carol denies another request: it is rejected and the agent is told so;
 * - a view altered in transit (args changed, digest kept) is refused by the page;
 * - the CSP header is present and no request leaves the origin.
 *
 * WARRANT_UPDATE_SCREENSHOTS=1 also writes docs/inbox-pending.png and
 * docs/inbox-approved.png.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { formatKeyFile, formatPkcs8Pem } from "../../src/core/keys.ts";
import type { GateClient } from "../../src/client/gate-client.ts";
import { auth, httpWorkspace, startServe, TOKEN } from "../http/serve-harness.ts";
import type { Served } from "../http/serve-harness.ts";
import { seedOf } from "../http/signer.ts";
import { browserSkipReason, launchBrowser } from "./browser.ts";
import type { Browser } from "./browser.ts";
import { ROOT, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";

if (browserSkipReason) console.warn(browserSkipReason);
const run = browserSkipReason ? describe.skip : describe;

let ws: Workspace;
let srv: Served;
let gate: GateClient;
let browser: Browser;
let runs = 0;
const requested: string[] = [];
const screenshots = process.env.WARRANT_UPDATE_SCREENSHOTS === "1";

async function hold(amount: number): Promise<{ action_id: string; request_id: string }> {
  const g = await gate.govern("send_payment", { amount, to: "acme-supplies" });
  expect(g.phase).toBe("pending_approval");
  return g as unknown as { action_id: string; request_id: string };
}

/**
 * What the page itself fetched, recorded in the page (resource timing, and
 * CSP refusals), not through Playwright's request events: under Bun,
 * playwright-core's client now and then received a response for a request
 * object it did not know ("Cannot find parent object request@…"), failing
 * a test; without a request listener those objects are not sent at all.
 */
const RECORD_FETCHES = () => {
  const w = window as unknown as { __fetched: string[]; __refused: string[] };
  w.__fetched = [];
  w.__refused = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__fetched.push(e.name);
  }).observe({ type: "resource", buffered: true });
  document.addEventListener("securitypolicyviolation", (e) => w.__refused.push(e.blockedURI));
};

/** The URLs the page has fetched so far, its own included; CSP refusals as "refused:URL". */
async function fetchedBy(page: Page): Promise<string[]> {
  return await page.evaluate(() => {
    const w = window as unknown as { __fetched: string[]; __refused: string[] };
    return [location.href, ...w.__fetched, ...w.__refused.map((u) => `refused:${u}`)];
  });
}

async function openInbox(query = ""): Promise<Page> {
  const page = await browser.context.newPage();
  await page.addInitScript(RECORD_FETCHES);
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${srv.url}/${query}`);
  return page;
}

/** Close a page, keeping what it fetched for "no request left the origin". */
async function closePage(page: Page): Promise<void> {
  requested.push(...await fetchedBy(page));
  await page.close();
}

async function giveToken(page: Page, token: string) {
  await page.locator("#token-panel").waitFor({ state: "visible" });
  await page.fill("#token-input", token);
  await page.click("#token-form button");
}

async function loadKey(page: Page, name: string, text: string, approver?: string) {
  if (approver) await page.fill("#approver", approver);
  await page.setInputFiles("#key-file", {
    name,
    mimeType: "text/plain",
    buffer: Buffer.from(text),
  });
  await page.waitForFunction(() =>
    document.getElementById("key-status")!.textContent!.startsWith("Key loaded")
  );
}

async function notice(page: Page, requestId: string): Promise<string | null> {
  const n = page.locator(`#notices li[data-request="${requestId}"]`);
  await n.waitFor({ timeout: 20_000 });
  return await n.textContent();
}

const card = (page: Page, requestId: string) =>
  page.locator(`#pending-list li[data-request="${requestId}"]`);

async function stateOf(requestId: string): Promise<string> {
  const r = await fetch(`${srv.url}/v1/approvals/${requestId}`, { headers: auth });
  return ((await r.json()) as { state: string }).state;
}

run("the inbox in chromium", () => {
  beforeAll(async () => {
    ws = await httpWorkspace();
    srv = await startServe(ws);
    gate = await spawnGate(ws.configPath);
    await gate.registerTool("send_payment", ({ args }) => {
      runs++;
      return { paid: args };
    });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    expect(await gate?.close()).toBe(0);
    expect(await srv?.stop()).toBe(0);
    ws?.cleanup();
  });

  test("the page is served with a strict CSP, and is the only thing public", async () => {
    const r = await fetch(`${srv.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await r.text();
    expect(html).not.toMatch(/<script>|<style>|\son[a-z]+=/i); // no inline script, style or handlers
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await fetch(`${srv.url}/v1/approvals`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    expect(pre.status).toBe(405);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect((await fetch(`${srv.url}/v1/approvals`)).status).toBe(401);
    expect((await fetch(`${srv.url}/v1/audit/verify`)).status).toBe(401);
  });

  test("approve in the page (two approvers); the agent's resume completes", async () => {
    const page = await openInbox();
    // without the token the page shows nothing and asks for it; a wrong one is refused
    await giveToken(page, "not-the-token");
    await page.waitForFunction(() =>
      document.getElementById("token-error")!.textContent === "That token was refused."
    );
    expect(await page.locator("#pending-list li").count()).toBe(0);
    await giveToken(page, TOKEN);
    await page.locator("#conn.live").waitFor();

    // a request held by the live gate appears without a reload
    const h = await hold(250);
    const c = card(page, h.request_id);
    await c.waitFor({ timeout: 10_000 });
    await expect(c.locator("h3").textContent()).resolves.toBe("send_payment");
    await expect(c.locator(".args").textContent()).resolves.toContain('"amount": 250');
    await expect(c.textContent()).resolves.toContain("large-payments: 0 of 2 (finance)");
    await expect(c.locator(".left").textContent()).resolves.toMatch(/^\d+m \d+s left$/);
    const waiting = gate.resume(h.action_id, h.request_id, { waitMs: 30_000 });

    // alice: warrant key file, signed with WebCrypto
    await loadKey(page, "alice.key", formatKeyFile("alice", seedOf("alice")));
    await expect(page.locator("#key-status").textContent()).resolves.toContain("WebCrypto");
    await c.locator(".reason").fill("invoice matches PO 42");
    await c.locator("button.approve").click();
    await c.locator(".result.ok").waitFor();
    await expect(c.locator(".result").textContent()).resolves.toBe(
      "Approved — request pending.",
    );
    await page.waitForFunction(
      (id) =>
        document.querySelector(`#pending-list li[data-request="${id}"]`)?.textContent?.includes(
          "1 of 2 (finance) — approved by alice",
        ),
      h.request_id,
    );
    if (screenshots) {
      mkdirSync(join(ROOT, "docs"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "docs/inbox-pending.png"), fullPage: true });
    }

    // carol: PKCS#8 PEM (no name inside: typed), signed by the @noble/ed25519 fallback
    const page2 = await openInbox("?signer=noble");
    await giveToken(page2, TOKEN);
    const c2 = card(page2, h.request_id);
    await c2.waitFor();
    await loadKey(page2, "carol.pem", formatPkcs8Pem(seedOf("carol")), "carol");
    await expect(page2.locator("#key-status").textContent()).resolves.toContain("noble");
    await c2.locator("button.approve").click();
    // the card leaves the pending list as the request closes: the outcome stays on top
    await expect(notice(page2, h.request_id)).resolves.toBe(
      `Approved — request approved (send_payment, ${h.request_id})`,
    );

    const out = await waiting;
    expect(out.phase).toBe("completed");
    expect(runs).toBe(1);
    // both pages drop it from pending, live
    await c.waitFor({ state: "detached", timeout: 10_000 });
    await c2.waitFor({ state: "detached", timeout: 10_000 });

    // history: the outcome, who approved, and the audit chain status
    await page.click("#tab-history");
    const hist = page.locator(`#history-list li[data-request="${h.request_id}"]`);
    await hist.waitFor();
    await expect(hist.textContent()).resolves.toContain("approved");
    await expect(hist.textContent()).resolves.toContain("action completed");
    await expect(hist.textContent()).resolves.toContain("approve by alice");
    await expect(hist.textContent()).resolves.toContain("approve by carol");
    await page.locator("#audit.ok").waitFor();
    await expect(page.locator("#audit").textContent()).resolves.toMatch(
      /^audit log verified: hash chain intact through event \d+/,
    );
    if (screenshots) {
      await page.screenshot({ path: join(ROOT, "docs/inbox-approved.png"), fullPage: true });
    }
    await closePage(page);
    await closePage(page2);
  }, 90_000);

  test("a second approver's deny on another request rejects it", async () => {
    const h = await hold(900);
    const page = await openInbox();
    await giveToken(page, TOKEN);
    const c = card(page, h.request_id);
    await c.waitFor({ timeout: 10_000 });
    await loadKey(page, "carol.key", formatKeyFile("carol", seedOf("carol")));
    await c.locator(".reason").fill("not on the supplier list");
    await c.locator("button.deny").click();
    await expect(notice(page, h.request_id)).resolves.toBe(
      `Denied — request rejected (send_payment, ${h.request_id})`,
    );
    expect(await stateOf(h.request_id)).toBe("rejected");
    const out = await gate.resume(h.action_id, h.request_id, { waitMs: 5_000 });
    expect(out.phase).toBe("rejected");
    expect(runs).toBe(1);
    await closePage(page);
  }, 60_000);

  test("a view altered in transit is refused by the page, and nothing is sent", async () => {
    const h = await hold(400);
    const page = await openInbox();
    // a proxy that shows the approver a smaller amount but keeps the digest
    await page.route(`**/v1/approvals/${h.request_id}`, async (route) => {
      const res = await route.fetch();
      const v = await res.json() as { args: { amount: number } };
      v.args.amount = 4;
      await route.fulfill({ response: res, json: v });
    });
    await giveToken(page, TOKEN);
    const c = card(page, h.request_id);
    await c.waitFor({ timeout: 10_000 });
    await loadKey(page, "alice.key", formatKeyFile("alice", seedOf("alice")));
    await c.locator("button.approve").click();
    await c.locator(".result.error").waitFor();
    await expect(c.locator(".result").textContent()).resolves.toMatch(
      /^Refusing to sign: the action digest sha256:[0-9a-f]{64} does not match the shown fields/,
    );
    expect((await fetchedBy(page)).filter((u) => u.endsWith("/resolutions"))).toEqual([]);
    const v = await fetch(`${srv.url}/v1/approvals/${h.request_id}`, { headers: auth });
    const body = await v.json() as { state: string; resolutions: unknown[] };
    expect(body.state).toBe("pending");
    expect(body.resolutions).toEqual([]);
    await closePage(page);
  }, 60_000);

  test("readable on a phone, every control named", async () => {
    const h = await hold(120);
    const page = await openInbox();
    await page.setViewportSize({ width: 390, height: 844 });
    await giveToken(page, TOKEN);
    await card(page, h.request_id).waitFor({ timeout: 10_000 });
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      unlabelled: [...document.querySelectorAll("input, button")]
        .filter((e) => {
          const i = e as HTMLInputElement;
          if (i.type === "file") return false; // reached through its visible label
          const named = (i.labels?.length ?? 0) > 0 || i.getAttribute("aria-label") ||
            (e.tagName === "BUTTON" && e.textContent!.trim() !== "");
          return !named;
        })
        .map((e) => e.outerHTML),
      smallTargets: [...document.querySelectorAll("button")]
        .filter((b) => (b as HTMLElement).offsetParent && b.getBoundingClientRect().height < 24)
        .map((b) => b.textContent),
    }));
    expect(layout).toEqual({ scrollWidth: 390, unlabelled: [], smallTargets: [] });
    if (screenshots) {
      await card(page, h.request_id).scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ROOT, "docs/inbox-phone.png") });
    }
    await closePage(page);
  }, 60_000);

  test("no request left the origin", () => {
    expect(requested.length).toBeGreaterThan(10);
    const origin = new URL(srv.url).origin;
    const elsewhere = requested.filter((u) =>
      !u.startsWith(`${origin}/`) && !u.startsWith("data:")
    );
    expect(elsewhere).toEqual([]);
  });
});
