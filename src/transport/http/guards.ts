/**
 * Cheap guards the HTTP app runs before any route: the bearer token check
 * (constant time, used by Hono's bearerAuth), a per-client token bucket,
 * header limits, and the body drain that lets a client which uploads first
 * read its 413.
 */
import { sha256Bytes } from "../../core/digest.ts";

const enc = new TextEncoder();

/**
 * A constant-time check of a presented bearer token. Both sides are hashed
 * first so the comparison takes the same time whatever the length or the
 * first differing byte. The token itself is never logged or echoed.
 *
 * @example const ok = tokenVerifier("s3cret"); ok("s3cret") // → true
 */
export function tokenVerifier(token: string): (presented: string) => boolean {
  const want = sha256Bytes(enc.encode(token));
  return (presented) => {
    const got = sha256Bytes(enc.encode(presented));
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff |= want[i]! ^ got[i]!;
    return diff === 0;
  };
}

/**
 * The same check on a whole `Authorization: Bearer <token>` header (the MCP
 * face, which is not a Hono app).
 *
 * @example const ok = bearerChecker("s3cret"); ok("Bearer s3cret") // → true
 */
export function bearerChecker(token: string): (header: string | undefined | null) => boolean {
  const verify = tokenVerifier(token);
  return (header) => {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
    return verify(m?.[1] ?? "") && m !== null;
  };
}

/**
 * RFC 6750's b64token: what Hono's bearerAuth accepts after "Bearer ". A
 * configured token outside it could never be presented, so the server
 * refuses it at start (runtime/http.ts).
 */
export const BEARER_TOKEN_SYNTAX = /^[A-Za-z0-9._~+/-]+=*$/;

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
 * Read and discard what is left of a request body, up to `max` bytes, so a
 * client that uploads its whole body before reading gets the response (an
 * unread body makes the server close first and the client see a broken
 * pipe instead of the 413). Returns false when more than `max` remained:
 * the connection should then be closed after the response (RFC 9110 §15.5.14).
 */
export async function drainBody(req: Request, max: number): Promise<boolean> {
  // (bodyUsed first: reading `body` makes a stream the runtime otherwise skips)
  if (req.bodyUsed || !req.body) return true;
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

/**
 * Make a streamed (chunked) request body drainable after a guard refused it
 * part-way. Hono's bodyLimit reads such a body itself and stops at the
 * limit, leaving the rest unread (and its reader locked); the request gets a
 * body that forwards from a reader kept here, and `drain` reads what is left
 * of the original. Bodies with a Content-Length are left as they are (the
 * limit refuses them from the header, unread, and drainBody takes them).
 */
export function drainableBody(
  req: Request,
): { req: Request; drain: (max: number) => Promise<boolean> } {
  if (!req.body || req.headers.has("content-length")) {
    return { req, drain: (max) => drainBody(req, max) };
  }
  const source = req.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const r = await source.read();
      if (r.done) ctrl.close();
      else ctrl.enqueue(r.value);
    },
  }, { highWaterMark: 0 });
  const wrapped = new Request(req, { body, duplex: "half" } as RequestInit);
  return {
    req: wrapped,
    async drain(max) {
      let size = 0;
      try {
        for (;;) {
          const { done, value } = await source.read();
          if (done) return true;
          size += value.byteLength;
          if (size > max) {
            await source.cancel().catch(() => {});
            return false;
          }
        }
      } catch {
        return false; // the client went away mid-body
      }
    },
  };
}
