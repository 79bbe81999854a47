/**
 * Flood control for refusals from unauthenticated senders: at most one
 * audit event per source and error code per window (a minute), carrying how
 * many refusals it stands for. Anyone can post junk resolutions; without
 * this, each one was an fsync'd, permanent audit row — a way to fill the
 * disk. Metrics still count every refusal.
 */

export interface RefusalAdmission {
  /** Record an event for this refusal. */
  record: boolean;
  /** Refusals the event stands for: this one and those not recorded since the last event. */
  count: number;
}

/** Per (source, code) windows; memory is bounded by `maxKeys`. */
export class RefusalLog {
  private readonly windows = new Map<string, { start: number; suppressed: number }>();

  constructor(private readonly windowMs = 60_000, private readonly maxKeys = 10_000) {}

  /**
   * Whether to record the refusal of `code` from `source` at `now`.
   *
   * @example const log = new RefusalLog(); log.admit("http:10.0.0.1", "json_invalid", 0) // → { record: true, count: 1 }
   */
  admit(source: string, code: string, now: number): RefusalAdmission {
    const key = `${source}\u0000${code}`;
    const w = this.windows.get(key);
    if (w && now - w.start < this.windowMs) {
      w.suppressed++;
      return { record: false, count: 0 };
    }
    if (!w && this.windows.size >= this.maxKeys) this.evict(now);
    this.windows.delete(key); // re-insert: the Map keeps insertion order for eviction
    this.windows.set(key, { start: now, suppressed: 0 });
    return { record: true, count: 1 + (w?.suppressed ?? 0) };
  }

  private evict(now: number): void {
    for (const [k, w] of this.windows) {
      if (now - w.start >= this.windowMs) this.windows.delete(k);
    }
    while (this.windows.size >= this.maxKeys) {
      this.windows.delete(this.windows.keys().next().value as string);
    }
  }
}

/**
 * What an unauthenticated caller is told about a refusal: the code and a
 * fix, never the digests, roles or approver names the full message holds.
 */
export function publicRefusalMessage(code: string): string {
  const fix = PUBLIC_FIX[code] ??
    "fetch the request with a read token and sign its resolution_template as is";
  return `resolution refused (${code}): ${fix}`;
}

const PUBLIC_FIX: Record<string, string> = {
  digest_mismatch: "the action_digest does not match the request; sign the request's template",
  action_mismatch: "the ids do not match the request named in the URL",
  approver_unknown: "the approver is not in the active policy",
  approver_not_eligible: "the approver holds none of the roles this hold needs",
  resolution_signature_invalid: "the signature does not verify with the approver's key",
  nonce_reused: "use a fresh random nonce for each resolution",
  request_not_found: "no such approval request",
  request_closed: "the request is no longer pending",
  request_expired: "the request is past its deadline",
  resolution_expired: "the resolution's expires_at has passed; sign a new one",
  resolution_not_yet_valid: "the resolution's issued_at is in the future; check the clock",
  resolution_window_invalid: "issued_at/expires_at are out of order or too far apart",
  resolution_schema_invalid: "the document is not a warrant.resolution/v1",
  json_duplicate_key: "the document repeats a key",
};
