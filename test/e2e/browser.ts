/**
 * A real browser for the inbox tests: Debian's chromium driven by
 * playwright-core, headless, with a fresh profile. `launchBrowser` resolves
 * null (with the reason in `browserSkipReason`) when chromium is not
 * installed; scripts/test installs it with apt-get first.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.WARRANT_CHROMIUM ?? "/usr/bin/chromium";

export const browserSkipReason: string | null = existsSync(CHROMIUM)
  ? null
  : `browser tier SKIPPED: ${CHROMIUM} not found (apt-get install chromium; scripts/test does this)`;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launch chromium with its own throw-away profile. */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "warrant-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 900, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
