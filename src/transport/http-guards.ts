/**
 * Cheap guards the HTTP app runs before any route: the bearer token check
 * (constant time), a per-client token bucket, and header limits.
 */
import { sha256Bytes } from "../core/digest.ts";

const enc = new TextEncoder();

/**
 * A bearer-token checker for `Authorization: Bearer <token>`. Both sides are
 * hashed first so the comparison takes the same time whatever the length or
 * the first differing byte. The token itself is never logged or echoed.
 *
 * @example const ok = bearerChecker("s3cret"); ok("Bearer s3cret") // → true
 */
export function bearerChecker(token: string): (header: string | undefined | null) => boolean {
  const want = sha256Bytes(enc.encode(token));
  return (header) => {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
    const got = sha256Bytes(enc.encode(m?.[1] ?? ""));
    let diff = m ? 0 : 1;
    for (let i = 0; i < want.length; i++) diff |= want[i]! ^ got[i]!;
    return diff === 0;
  };
}

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size (largest burst). */
  burst: number;
}

/** 50 requests per second per client, bursts of 100. */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 50, burst: 100 };

/**
 * Per-key token buckets (key = client IP). `take(key)` spends one token and
 * says whether the request may proceed. Memory is bounded: past `maxKeys`
 * buckets, full (idle) ones are swept, then the oldest are evicted.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => Date.now(),
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(t);
      b = { tokens: this.limit.burst, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) {
        this.buckets.delete(k);
      }
    }
    while (this.buckets.size >= this.maxKeys) {
      const first = this.buckets.keys().next().value as string;
      this.buckets.delete(first);
    }
  }
}

export interface HeaderLimits {
  maxCount: number;
  maxBytes: number;
}

export const DEFAULT_HEADER_LIMITS: HeaderLimits = { maxCount: 64, maxBytes: 8192 };

/** True when the request's headers fit the limits (count, and bytes of names + values). */
export function headersFit(headers: Headers, limits: HeaderLimits): boolean {
  let count = 0;
  let bytes = 0;
  for (const [k, v] of headers) {
    count++;
    bytes += k.length + v.length + 4;
    if (count > limits.maxCount || bytes > limits.maxBytes) return false;
  }
  return true;
}

/**
 * Read a request body as text, refusing more than `max` bytes whatever the
 * Content-Length says (chunked bodies included). Returns null when too large.
 */
export async function readBodyCapped(
  req: Request,
  max: number,
  drainMax = 0,
): Promise<string | null> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) return null;
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      // Keep reading (up to drainMax) so the client can read the 413.
      while (size <= drainMax) {
        const more = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (more.done) return null;
        size += more.value!.byteLength;
      }
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.byteLength;
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(all);
}

/**
 * Read and discard what is left of a request body, up to `max` bytes, so a
 * client that uploads its whole body before reading gets the response (an
 * unread body makes the server close first and the client see a broken
 * pipe instead of the 413). Returns false when more than `max` remained:
 * the connection should then be closed after the response (RFC 9110 §15.5.14).
 */
export async function drainBody(req: Request, max: number): Promise<boolean> {
  if (!req.body || req.bodyUsed) return true;
  let size = 0;
  try {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => {});
        return false;
      }
    }
  } catch {
    return false; // the client went away mid-body
  }
}
