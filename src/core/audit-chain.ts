/**
 * The audit log's hash chain. Each event's hash is
 * `hex(sha256(JCS({seq, at, type, action_id, payload, prev_hash})))`, and
 * `prev_hash` is the previous event's hash (64 zeros for seq 1). Because `seq`
 * is inside the hash, an edited, deleted, inserted or reordered row breaks the
 * chain at (or right after) the row that changed. Pure: no I/O.
 *
 * The payload is stored as its canonical JSON text and the hash covers those
 * exact bytes (spliced into the canonical event), never a re-serialisation
 * of a parsed value: `{"effect":"deny","effect":"allow"}` or trailing spaces
 * would otherwise hash like the original while SQL readers see something
 * else. A stored payload that is not canonical JSON is refused. Rows written
 * before payloads were canonical (seq below `canonicalFrom`) may hold the
 * JSON.stringify form of their value, and nothing else.
 */
import { canonicalize, parseJsonStrict } from "./canonical-json.ts";
import { sha256Hex } from "./digest.ts";
import { isWarrantError } from "./errors.ts";

/** prev_hash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/** The hashed fields of an event. */
export interface ChainFields {
  seq: number;
  at: number;
  type: string;
  action_id: string | null;
  payload: Record<string, unknown>;
  prev_hash: string;
}

/** A stored event: the hashed fields and the hash. */
export interface ChainEvent extends ChainFields {
  hash: string;
  /** The payload exactly as stored; when given, it is what is checked and hashed. */
  payload_text?: string;
  /**
   * True when prev_hash was not stored with the row but read from the row
   * before it (a store's newer rows): then a hash that does not recompute
   * may be this row's edit or the previous row's edit re-hashed, and the
   * problem says so.
   */
  prev_hash_derived?: boolean;
}

/**
 * The hash of an event whose payload is given as its stored canonical JSON
 * text: sha256 of the canonical event with those bytes spliced in as the
 * payload. Equals eventHash() when `payloadText` is canonicalize(payload).
 */
export function eventHashOfText(e: Omit<ChainFields, "payload">, payloadText: string): string {
  // Keys in JCS order: action_id, at, payload, prev_hash, seq, type. A
  // well-formed 64-hex prev_hash needs no escaping; anything else is encoded.
  const prev = HEX64.test(e.prev_hash) ? `"${e.prev_hash}"` : canonicalize(e.prev_hash);
  return sha256Hex(
    `{"action_id":${canonicalize(e.action_id)},"at":${
      canonicalize(e.at)
    },"payload":${payloadText}` +
      `,"prev_hash":${prev},"seq":${canonicalize(e.seq)},"type":${canonicalize(e.type)}}`,
  );
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Why a stored payload text is not acceptable, or null. From `canonicalFrom`
 * on, only canonical JSON (RFC 8785) is; before it, also the JSON.stringify
 * form of a strictly parsed value (how earlier versions stored payloads).
 */
export function payloadTextProblem(text: string, legacy: boolean): string | null {
  let value: unknown;
  try {
    value = parseJsonStrict(text, 512);
  } catch (e) {
    return isWarrantError(e, "json_duplicate_key")
      ? `payload is not canonical JSON: ${e.message.replace(/; each key.*$/, "")}`
      : `payload is not JSON: ${(e as Error).message}`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "payload is not a JSON object";
  }
  let canonical: string;
  try {
    canonical = canonicalize(value);
  } catch (e) {
    return `unhashable payload: ${(e as Error).message}`;
  }
  if (text === canonical) return null;
  if (legacy && text === JSON.stringify(value)) return null;
  return "payload is not canonical JSON (extra whitespace, key order or number/string form differs)";
}

/** The first problem found, and where. */
export interface ChainProblem {
  seq: number;
  problem: string;
}

/**
 * The hash of an event (lowercase hex). Throws canonical_json_invalid when
 * the payload is not representable in canonical JSON (NaN, lone surrogate…).
 *
 * @example eventHash({ seq: 1, at: 0, type: "x", action_id: null, payload: {}, prev_hash: GENESIS_HASH })
 */
export function eventHash(e: ChainFields): string {
  const doc = canonicalize({
    seq: e.seq,
    at: e.at,
    type: e.type,
    action_id: e.action_id,
    payload: e.payload,
    prev_hash: e.prev_hash,
  });
  return sha256Hex(doc);
}

/**
 * An incremental verifier, for logs too large to hold in memory: feed events
 * in ascending seq order; `check` returns the first problem (and keeps
 * returning it), or null while the chain holds.
 */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private bad: ChainProblem | null = null;
  /** Number of events checked and found good. */
  checked = 0;

  private readonly canonicalFrom: number;

  /**
   * Start at seq 1 with the genesis hash, or mid-chain from a trusted point.
   * `canonicalFrom`: the first seq whose stored payload must be canonical
   * (default 1: all of them).
   */
  constructor(
    start: { seq: number; prev_hash: string } = { seq: 1, prev_hash: GENESIS_HASH },
    canonicalFrom = 1,
  ) {
    this.expectedSeq = start.seq;
    this.prevHash = start.prev_hash;
    this.canonicalFrom = canonicalFrom;
  }

  /** Check the next event. */
  check(e: ChainEvent): ChainProblem | null {
    if (this.bad) return this.bad;
    const problem = this.problemOf(e);
    if (problem) {
      this.bad = { seq: problem.seq, problem: problem.problem };
      return this.bad;
    }
    this.checked++;
    this.expectedSeq = e.seq + 1;
    this.prevHash = e.hash;
    return null;
  }

  /** The seq and hash the next event must link to. */
  get head(): { seq: number; hash: string } {
    return { seq: this.expectedSeq - 1, hash: this.prevHash };
  }

  /** The first problem seen so far, if any. */
  get firstBad(): ChainProblem | null {
    return this.bad;
  }

  private problemOf(e: ChainEvent): ChainProblem | null {
    if (e.seq !== this.expectedSeq) {
      const found = e.seq;
      return found > this.expectedSeq
        ? {
          seq: this.expectedSeq,
          problem: `gap: expected seq ${this.expectedSeq}, found ${found}`,
        }
        : { seq: found, problem: `out of order: expected seq ${this.expectedSeq}, found ${found}` };
    }
    if (e.prev_hash !== this.prevHash) {
      return {
        seq: e.seq,
        problem: `prev_hash mismatch: expected ${this.prevHash}, found ${e.prev_hash}`,
      };
    }
    let recomputed: string;
    let textProblem: string | null = null;
    try {
      if (e.payload_text !== undefined) {
        const legacy = e.seq < this.canonicalFrom;
        textProblem = payloadTextProblem(e.payload_text, legacy);
        recomputed = legacy && textProblem === null && e.payload_text !== canonicalize(e.payload)
          ? eventHash(e)
          : eventHashOfText(e, e.payload_text);
      } else recomputed = eventHash(e);
    } catch (err) {
      return { seq: e.seq, problem: `unhashable payload: ${(err as Error).message}` };
    }
    if (recomputed !== e.hash) {
      return {
        seq: e.seq,
        problem: e.prev_hash_derived
          ? `hash mismatch: stored ${e.hash}, recomputed ${recomputed} over this row and its ` +
            `prev_hash ${e.prev_hash} (the hash of seq ${e.seq - 1}): this row was edited, or ` +
            `the row before it was edited and re-hashed (the link breaks here)`
          : `hash mismatch: stored ${e.hash}, recomputed ${recomputed} (row edited)`,
      };
    }
    // The hash covers these bytes, but they are not what warrant writes
    // (re-hashed after an edit: duplicate keys, whitespace).
    if (textProblem) return { seq: e.seq, problem: textProblem };
    return null;
  }
}

/**
 * Verify a whole chain from seq 1.
 *
 * @example verifyChain(events) // → { ok: true, checked: 42 }
 * @example verifyChain(tampered) // → { ok: false, checked: 11, first_bad: { seq: 12, problem: "hash mismatch: …" } }
 */
export function verifyChain(
  events: Iterable<ChainEvent>,
): { ok: boolean; checked: number; first_bad?: ChainProblem } {
  const v = new ChainVerifier();
  for (const e of events) if (v.check(e)) break;
  const bad = v.firstBad;
  return bad ? { ok: false, checked: v.checked, first_bad: bad } : { ok: true, checked: v.checked };
}
