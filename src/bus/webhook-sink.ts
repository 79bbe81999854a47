/**
 * Webhook destination (config `notify.webhook_url`): POSTs each event an
 * approver cares about — `request.*`, `action.held`, `action.approved`,
 * `action.rejected`, `action.expired` — as one JSON object, retrying with
 * exponential backoff. It runs behind the event bus, so it never blocks a
 * decision; a dead endpoint trips a short circuit breaker so the backlog
 * drains fast instead of piling up. Failures are thrown to the bus (counted
 * in its stats()) and reported through `onFailed` at most once a minute
 * (the caller records it as an audit event `notify.failed`).
 *
 * With a secret, every attempt is signed per Standard Webhooks
 * (core/standard-webhooks.ts): `webhook-id` is the event's audit hash (the
 * same on every retry, so receivers can drop repeats), `webhook-timestamp`
 * the attempt's time. `describe` adds fields a chat bot posts as they are
 * (a one-line `summary`, the request's `inbox_url`).
 */
import type { EventRecord } from "../core/records.ts";
import { webhookSignature } from "../core/standard-webhooks.ts";
import type { EventSink } from "../app/ports/event-sink.ts";
import { webhookEventJson } from "../protocol/events.ts";
import type { EventDescription } from "../protocol/events.ts";

const NOTIFIED = new Set(["action.held", "action.approved", "action.rejected", "action.expired"]);

/** True for the event types the webhook receives. */
export function isNotified(type: string): boolean {
  return type.startsWith("request.") || NOTIFIED.has(type);
}

export interface WebhookFailure {
  /** Origin of the webhook URL only (no path or query: they may carry secrets). */
  target: string;
  /** Events that could not be delivered since the last report. */
  failed: number;
  error: string;
  first_seq: number | null;
}

export interface WebhookOptions {
  url: string;
  /** Attempts per event (default 3). */
  tries?: number;
  /** Per-attempt timeout, ms (default 1000). */
  timeoutMs?: number;
  /** First backoff, ms; doubled each retry (default 100). */
  backoffMs?: number;
  /** After a final failure, fail fast for this long, ms (default 30000). */
  breakerMs?: number;
  /** Least time between two `onFailed` reports, ms (default 60000). */
  reportEveryMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
  onFailed?: (f: WebhookFailure) => void;
  /** HMAC key (from a `whsec_` secret): sign each attempt per Standard Webhooks. */
  secret?: Uint8Array;
  /** Extra top-level fields for an event's body (summary, inbox_url, ...). */
  describe?: (e: EventRecord) => EventDescription;
  /** Wall clock for webhook-timestamp, ms (default Date.now). */
  wallClock?: () => number;
}

export interface WebhookStats {
  sent: number;
  failed: number;
  attempts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Create the webhook sink. Throws TypeError when `url` is not http(s). */
export function webhookSink(opts: WebhookOptions): EventSink & { stats(): WebhookStats } {
  const url = new URL(opts.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`notify.webhook_url must be http(s), got ${url.protocol}`);
  }
  const target = url.origin;
  const tries = opts.tries ?? 3;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const backoffMs = opts.backoffMs ?? 100;
  const breakerMs = opts.breakerMs ?? 30_000;
  const reportEveryMs = opts.reportEveryMs ?? 60_000;
  const now = opts.now ?? (() => Date.now());
  const doFetch = opts.fetch ?? fetch;
  const stats: WebhookStats = { sent: 0, failed: 0, attempts: 0 };
  let openUntil = 0;
  let lastReport = -Infinity;
  let unreported = 0;

  const report = (error: string, firstSeq: number | null, n: number) => {
    stats.failed += n;
    unreported += n;
    if (now() - lastReport < reportEveryMs) return;
    lastReport = now();
    const failed = unreported;
    unreported = 0;
    try {
      opts.onFailed?.({ target, failed, error: error.slice(0, 300), first_seq: firstSeq });
    } catch {
      // the report is best effort; the bus stats still count the failure
    }
  };

  const wallClock = opts.wallClock ?? (() => Date.now());
  const postOnce = async (body: string, id: string): Promise<void> => {
    stats.attempts++;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "warrant-webhook/1",
      "webhook-id": id,
    };
    if (opts.secret) {
      const ts = Math.floor(wallClock() / 1000);
      headers["webhook-timestamp"] = String(ts);
      headers["webhook-signature"] = webhookSignature(opts.secret, id, ts, body);
    }
    try {
      const res = await doFetch(opts.url, {
        method: "POST",
        headers,
        body,
        signal: ctl.signal,
        redirect: "manual",
      });
      await res.body?.cancel().catch(() => {});
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
    } catch (e) {
      if (ctl.signal.aborted) throw new Error(`timed out after ${timeoutMs} ms`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };

  const deliver = async (e: EventRecord): Promise<void> => {
    let described: EventDescription | undefined;
    try {
      described = opts.describe?.(e);
    } catch {
      // a summary is a courtesy: the event is delivered without it
    }
    // The body's shape is protocol/events.ts WebhookEventSchema.
    const body = JSON.stringify(webhookEventJson(e, described));
    const id = `evt_${e.hash.slice(0, 32)}`;
    let last: unknown;
    for (let i = 0; i < tries; i++) {
      if (i > 0) await sleep(backoffMs * 2 ** (i - 1));
      try {
        await postOnce(body, id);
        stats.sent++;
        return;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };

  return {
    name: "webhook",
    stats: () => ({ ...stats }),
    async write(events: EventRecord[]): Promise<void> {
      const wanted = events.filter((e) => isNotified(e.type));
      if (wanted.length === 0) return;
      if (now() < openUntil) {
        report("circuit open after earlier failures", wanted[0]!.seq, wanted.length);
        throw new Error(`webhook ${target} unavailable (circuit open); ${wanted.length} dropped`);
      }
      for (let i = 0; i < wanted.length; i++) {
        try {
          await deliver(wanted[i]!);
        } catch (err) {
          openUntil = now() + breakerMs;
          const msg = err instanceof Error ? err.message : String(err);
          report(msg, wanted[i]!.seq, wanted.length - i);
          throw new Error(`webhook ${target}: ${msg}`);
        }
      }
    },
  };
}
