/**
 * The approver's inbox page (GET / and /inbox/*) and the audit check it shows
 * (GET /v1/audit/verify). The page's files are compiled into the binary
 * (inbox/assets.gen.ts); every response of the app carries a strict
 * Content-Security-Policy, so the page runs only its own same-origin scripts
 * and talks only to this origin.
 */
import { Hono } from "hono";
import type { StoreReads } from "../../../app/ports/store.ts";
import { ChainVerifier } from "../../../core/audit-chain.ts";
import type { ChainProblem } from "../../../core/audit-chain.ts";
import { INBOX_ASSETS } from "../../inbox/assets.gen.ts";
import { methodNotAllowed } from "../context.ts";
import type { HttpEnv, RouteKit } from "../context.ts";

/**
 * No inline script or style, nothing from another origin, no framing, no
 * form posts, no plugins. connect-src 'self' is what the page's fetches use.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Paths of the page itself: public (they hold no data), cached by nobody. */
export function isInboxPath(path: string): boolean {
  return Object.hasOwn(INBOX_ASSETS, path);
}

/** Every response's security headers (set by the app's middleware). */
export function setSecurityHeaders(headers: Headers): void {
  headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
  headers.set("referrer-policy", "no-referrer");
  headers.set("x-frame-options", "DENY");
  headers.set("cross-origin-opener-policy", "same-origin");
  headers.set("cross-origin-resource-policy", "same-origin");
}

/** The result of GET /v1/audit/verify. */
export interface AuditStatus {
  ok: boolean;
  /** Events checked so far by this process (the whole chain from seq 1). */
  checked: number;
  /** The last event checked. */
  head_seq: number;
  /** False when the chain is longer than one call checks; call again to continue. */
  complete: boolean;
  first_bad: ChainProblem | null;
}

/**
 * The audit hash chain checked incrementally: each call continues where the
 * last one stopped, at most `budget` events per call, so a large log is
 * verified once and a page refresh costs only the new events.
 */
export class AuditWatch {
  private readonly v = new ChainVerifier();
  constructor(
    private readonly reads: Pick<StoreReads, "events" | "lastEventSeq">,
    private readonly budget = 50_000,
  ) {}

  status(): AuditStatus {
    const last = this.reads.lastEventSeq();
    let left = this.budget;
    while (!this.v.firstBad && this.v.head.seq < last && left > 0) {
      const page = this.reads.events({ afterSeq: this.v.head.seq, limit: Math.min(500, left) });
      if (page.length === 0) break;
      for (const e of page) {
        if (this.v.check(e)) break;
      }
      left -= page.length;
    }
    const bad = this.v.firstBad;
    return {
      ok: bad === null,
      checked: this.v.checked,
      head_seq: this.v.head.seq,
      complete: bad !== null || this.v.head.seq >= last,
      first_bad: bad,
    };
  }
}

/**
 * The page's files (public: they hold no data; any other method is a 405)
 * and GET /v1/audit/verify (needs the read token when one is set).
 */
export function inboxRoutes({ deps, auth }: RouteKit): Hono<HttpEnv> {
  const audit = new AuditWatch(deps.store);
  const r = new Hono<HttpEnv>();
  for (const [path, asset] of Object.entries(INBOX_ASSETS)) {
    r.get(path, (c) => c.body(asset.body, 200, { "content-type": asset.type }));
    r.all(path, methodNotAllowed(`use GET on ${path}`));
  }
  r.get("/v1/audit/verify", auth, (c) => c.json(audit.status()));
  r.all("/v1/audit/verify", auth, methodNotAllowed("use GET on /v1/audit/verify"));
  return r;
}
