/**
 * Event payloads as stored (storage, issue 12). The audit chain hashes an
 * event's payload as its canonical JSON text (core/audit-chain.ts); from
 * schema 8 on a SQLite store keeps that text in a packed binary form
 * instead of as text, about half the size: known keys and values as one
 * byte, `sha256:`/`hmac-sha256:` digests as their 32 bytes, ids
 * (`ses_…`, `act_…`) as 17 bytes, integers as varints. Packing is exact:
 * unpacking gives a value whose canonical JSON is, byte for byte, the text
 * that was hashed, so `audit verify` recomputes every hash from what is
 * stored, and an edited blob decodes to other text (or does not decode) and
 * fails verification like an edited text. A value the packer does not cover
 * is stored as its text, as before; rows written before schema 8, and every
 * PostgreSQL row, hold the text.
 *
 * Layout: byte 0x01 (a JSON text starts with `{`), then one value:
 *   0 null · 1 false · 2 true · 3 uint varint · 4 negative int (varint of −v)
 *   5 float64 LE · 6 string (varint byte length, UTF-8) · 7 array (varint
 *   count, values) · 8 object (varint count, key/value pairs; a key is a
 *   string form 6/9/10/11/12) · 9 "sha256:" + 32 bytes (lowercase hex) ·
 *   10 "hmac-sha256:" + 32 bytes · 11 WORDS[byte] · 12 id: prefix length,
 *   prefix ASCII, "_" implied, 26 Crockford base32 characters in 17 bytes.
 * WORDS is part of the format: never reorder or edit it; adding words needs
 * a new format byte (older binaries refuse newer schemas, not newer words).
 */
import { canonicalize, sortedKeys } from "../core/canonical-json.ts";
import { WarrantError } from "../core/errors.ts";

/** First byte of a packed payload. */
export const PACKED_V1 = 0x01;

const WORDS: readonly string[] = [
  // keys
  "action_digest",
  "actions",
  "amount",
  "approver",
  "args_digest",
  "by_default",
  "code",
  "correlation_id",
  "count",
  "deadline",
  "decision",
  "detail_bytes",
  "detail_digest",
  "document_sha256",
  "effect",
  "encrypted",
  "error",
  "events",
  "executor_session",
  "from",
  "idempotency_key",
  "key",
  "kind",
  "matched",
  "message",
  "name",
  "nonce",
  "origin",
  "output_digest",
  "pid",
  "policy_id",
  "policy_version",
  "previous",
  "previous_version",
  "project",
  "quorum",
  "reason",
  "reconciled",
  "request_id",
  "requirements",
  "roles",
  "rule",
  "rules",
  "run_request_id",
  "sample",
  "session_id",
  "sha256",
  "sink",
  "source",
  "timeout_ms",
  "tool",
  "unrecorded",
  "version",
  "via",
  // action states
  "proposed",
  "denied",
  "allowed",
  "held",
  "approved",
  "rejected",
  "expired",
  "executing",
  "completed",
  "failed",
  "unknown",
  // effects, origins, decisions, end reasons
  "allow",
  "hold",
  "deny",
  "hook",
  "declared",
  "approve",
  "shutdown",
  "heartbeat_stale",
  "process_gone",
  // rejection kinds
  "policy_denied",
  "approval_denied",
  "approval_timeout",
  "unregistered_tool",
  "unknown_action",
  "precondition_failed",
  "approval_required",
  "execution_failed",
  "internal_error",
  "budget_exhausted",
  "rate_limited",
  "lease_expired",
  "execution_timeout",
  "outcome_unknown",
  "approval_unverified",
  "store_unavailable",
];

const WORD_INDEX = new Map(WORDS.map((w, i) => [w, i]));
if (WORDS.length > 256 || WORD_INDEX.size !== WORDS.length) {
  throw new Error("event-payload WORDS: at most 256 distinct words");
}

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";
const CROCK_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) CROCK_VALUE[CROCKFORD.charCodeAt(i)] = i;
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE["0123456789abcdef".charCodeAt(i)] = i;
const HEX = "0123456789abcdef";

/** `prefix_` + 26 Crockford base32 characters, the prefix `len` letters a–z. */
function isId(s: string, len: number): boolean {
  if (s.charCodeAt(len) !== 0x5f) return false;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return false;
  }
  for (let i = len + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || CROCK_VALUE[c]! < 0) return false;
  }
  return true;
}
const SHA256 = "sha256:";
const HMAC = "hmac-sha256:";

/** A growing output buffer. */
class Out {
  buf = new Uint8Array(512);
  n = 0;
  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.n++] = b;
  }
  varint(v: number): void {
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Not packable: the payload is stored as text. */
const NO = new Error("not packable");

/** 64 lowercase hex characters from `from` → 32 bytes, or false. */
function hex64(out: Out, s: string, from: number): boolean {
  if (s.length !== from + 64) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || HEX_VALUE[c]! < 0) return false;
  }
  out.room(32);
  for (let i = from; i < s.length; i += 2) {
    out.buf[out.n++] = HEX_VALUE[s.charCodeAt(i)]! * 16 + HEX_VALUE[s.charCodeAt(i + 1)]!;
  }
  return true;
}

function packString(out: Out, s: string): void {
  const w = WORD_INDEX.get(s);
  if (w !== undefined) {
    out.byte(11);
    out.byte(w);
    return;
  }
  const c0 = s.charCodeAt(0);
  if ((c0 === 0x73 && s.length === 71) || (c0 === 0x68 && s.length === 76)) { // s…, h…
    const sha = c0 === 0x73;
    if (s.startsWith(sha ? SHA256 : HMAC)) {
      const at = out.n;
      out.byte(sha ? 9 : 10);
      if (hex64(out, s, sha ? SHA256.length : HMAC.length)) return;
      out.n = at;
    }
  }
  const prefixLen = s.length - 27;
  if (prefixLen >= 1 && prefixLen <= 16 && isId(s, prefixLen)) {
    const prefix = s.slice(0, prefixLen);
    out.byte(12);
    out.byte(prefix.length);
    out.room(prefix.length + 17);
    for (let i = 0; i < prefix.length; i++) out.buf[out.n++] = prefix.charCodeAt(i);
    // 26 × 5 bits = 130 bits, big-endian into 17 bytes (the last 6 bits zero).
    let acc = 0;
    let bits = 0;
    for (let i = prefix.length + 1; i < s.length; i++) {
      acc = (acc << 5) | CROCK_VALUE[s.charCodeAt(i)]!;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out.buf[out.n++] = (acc >> bits) & 0xff;
        acc &= (1 << bits) - 1;
      }
    }
    out.buf[out.n++] = (acc << (8 - bits)) & 0xff;
    return;
  }
  out.byte(6);
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    out.varint(s.length);
    out.room(s.length);
    for (let i = 0; i < s.length; i++) out.buf[out.n++] = s.charCodeAt(i);
    return;
  }
  // Callers hand only canonicalisable values (no lone surrogates), so the
  // UTF-8 form decodes back to the same string.
  const bytes = utf8.encode(s);
  out.varint(bytes.length);
  out.room(bytes.length);
  out.buf.set(bytes, out.n);
  out.n += bytes.length;
}

function packValue(out: Out, v: unknown, depth: number): void {
  if (v === null) return out.byte(0);
  switch (typeof v) {
    case "boolean":
      return out.byte(v ? 2 : 1);
    case "number":
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
        out.byte(v >= 0 ? 3 : 4);
        return out.varint(v >= 0 ? v : -v);
      }
      if (!Number.isFinite(v)) throw NO;
      out.byte(5);
      out.room(8);
      new DataView(out.buf.buffer).setFloat64(out.n, v, true);
      out.n += 8;
      return;
    case "string":
      return packString(out, v);
    case "object":
      break;
    default:
      throw NO;
  }
  if (depth > 64) throw NO;
  if (Array.isArray(v)) {
    out.byte(7);
    out.varint(v.length);
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw NO;
      packValue(out, v[i], depth + 1);
    }
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw NO;
  // In canonical order, so an unpacked object lists its keys as JSON.parse
  // of the canonical text would.
  const keys = sortedKeys(v as object);
  out.byte(8);
  out.varint(keys.length);
  for (const k of keys) {
    if (k === "__proto__") throw NO;
    packString(out, k);
    packValue(out, (v as Record<string, unknown>)[k], depth + 1);
  }
}

const OUT = new Out();

/**
 * The packed form of an event payload, or null when it must be stored as
 * text. `payload` must be one canonicalize() accepted (the caller hashed
 * its canonical text).
 */
export function packPayload(payload: Record<string, unknown>): Uint8Array | null {
  const out = OUT; // reused: the result is a copy
  out.n = 0;
  out.byte(PACKED_V1);
  try {
    packValue(out, payload, 0);
  } catch (e) {
    if (e === NO) return null;
    throw e;
  }
  return out.buf.slice(0, out.n);
}

/** Reads a packed payload; any malformation throws store_corrupt. */
class In {
  i = 1;
  constructor(readonly b: Uint8Array, readonly where: string) {}
  bad(what: string): never {
    throw new WarrantError("store_corrupt", `${this.where}: packed payload ${what}`);
  }
  byte(): number {
    if (this.i >= this.b.length) this.bad("ends early");
    return this.b[this.i++]!;
  }
  /** Skip `k` bytes, returning where they start (no view: a typed-array view costs more than a small copy). */
  skip(k: number): number {
    const at = this.i;
    if (at + k > this.b.length) this.bad("ends early");
    this.i = at + k;
    return at;
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const c = this.byte();
      v += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 0x80;
      if (mul > 2 ** 56) this.bad("holds an oversized integer");
    }
    if (v > Number.MAX_SAFE_INTEGER) this.bad("holds an oversized integer");
    return v;
  }
}

const HEX_CODE = Array.from({ length: 16 }, (_, i) => HEX.charCodeAt(i));
const CROCK_CODE = Array.from({ length: 32 }, (_, i) => CROCKFORD.charCodeAt(i));
/**
 * Text being decoded, and views of its first n bytes made once: short
 * strings, digests and ids are copied here and decoded through a cached
 * view, since making a typed-array view costs more than copying a few bytes.
 */
const SCRATCH = new Uint8Array(80);
const VIEW = Array.from({ length: SCRATCH.length + 1 }, (_, n) => SCRATCH.subarray(0, n));

function decodeScratch(r: In, n: number): string {
  try {
    return utf8Strict.decode(VIEW[n]!);
  } catch {
    return r.bad("holds invalid UTF-8");
  }
}

function readString(r: In, tag: number): string {
  const b = r.b;
  switch (tag) {
    case 6: {
      const n = r.varint();
      const at = r.skip(n);
      if (n <= SCRATCH.length) {
        for (let k = 0; k < n; k++) SCRATCH[k] = b[at + k]!;
        return decodeScratch(r, n);
      }
      try {
        return utf8Strict.decode(b.subarray(at, at + n));
      } catch {
        return r.bad("holds invalid UTF-8");
      }
    }
    case 9:
    case 10: {
      const at = r.skip(32);
      for (let k = 0; k < 32; k++) {
        const x = b[at + k]!;
        SCRATCH[2 * k] = HEX_CODE[x >> 4]!;
        SCRATCH[2 * k + 1] = HEX_CODE[x & 15]!;
      }
      return (tag === 9 ? SHA256 : HMAC) + decodeScratch(r, 64);
    }
    case 11: {
      const w = WORDS[r.byte()];
      return w ?? r.bad("names an unknown word");
    }
    case 12: {
      const len = r.byte();
      if (len < 1 || len > 16) r.bad("holds a bad id prefix");
      const p = r.skip(len);
      for (let k = 0; k < len; k++) {
        const c = b[p + k]!;
        if (c < 0x61 || c > 0x7a) r.bad("holds a bad id prefix");
        SCRATCH[k] = c;
      }
      SCRATCH[len] = 0x5f; // "_"
      const at = r.skip(17);
      if ((b[at + 16]! & 0x3f) !== 0) r.bad("holds a bad id");
      let n = len + 1;
      const end = n + 26;
      let acc = 0;
      let bits = 0;
      for (let k = 0; k < 17; k++) {
        acc = (acc << 8) | b[at + k]!;
        bits += 8;
        while (bits >= 5 && n < end) {
          bits -= 5;
          SCRATCH[n++] = CROCK_CODE[(acc >> bits) & 31]!;
        }
        acc &= (1 << bits) - 1;
      }
      return decodeScratch(r, end);
    }
    default:
      return r.bad(`holds an unknown tag ${tag}`);
  }
}

function readValue(r: In, depth: number): unknown {
  const tag = r.byte();
  switch (tag) {
    case 0:
      return null;
    case 1:
      return false;
    case 2:
      return true;
    case 3:
      return r.varint();
    case 4:
      return -r.varint();
    case 5: {
      const at = r.skip(8);
      const v = new DataView(r.b.buffer, r.b.byteOffset + at, 8).getFloat64(0, true);
      if (!Number.isFinite(v)) r.bad("holds a number that is not finite");
      return v;
    }
    case 7: {
      if (depth > 64) r.bad("nests too deep");
      const n = r.varint();
      if (n > r.b.length) r.bad("ends early");
      const a: unknown[] = [];
      for (let k = 0; k < n; k++) a.push(readValue(r, depth + 1));
      return a;
    }
    case 8:
      return readObject(r, depth);
    default:
      return readString(r, tag);
  }
}

function readObject(r: In, depth: number): Record<string, unknown> {
  if (depth > 64) r.bad("nests too deep");
  const n = r.varint();
  if (n > r.b.length) r.bad("ends early");
  const o: Record<string, unknown> = {};
  for (let k = 0; k < n; k++) {
    const key = readString(r, r.byte());
    if (key === "__proto__" || Object.hasOwn(o, key)) r.bad(`repeats or forbids key ${key}`);
    o[key] = readValue(r, depth + 1);
  }
  return o;
}

/** The payload a packed BLOB holds. Throws store_corrupt when it is not well formed. */
export function unpackPayload(b: Uint8Array, where: string): Record<string, unknown> {
  const r = new In(b, where);
  if (b[0] !== PACKED_V1) r.bad("has an unknown format byte");
  if (r.byte() !== 8) r.bad("is not an object");
  const v = readObject(r, 0);
  if (r.i !== b.length) r.bad("has trailing bytes");
  return v;
}

const utf8Lenient = new TextDecoder();

/** The payload column of an event row as its value (packed, or JSON text). */
export function storedPayloadValue(v: unknown, where: string): Record<string, unknown> {
  if (v instanceof Uint8Array && v[0] === PACKED_V1) return unpackPayload(v, where);
  const text = v instanceof Uint8Array ? utf8Lenient.decode(v) : String(v);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new WarrantError("store_corrupt", `${where} does not hold valid JSON`);
  }
}

/**
 * The payload column of an event row as the text its hash covers: the text
 * as stored, or the canonical JSON of a packed payload.
 */
export function storedPayloadText(v: unknown, where: string): string {
  if (v instanceof Uint8Array) {
    return v[0] === PACKED_V1 ? canonicalize(unpackPayload(v, where)) : utf8Lenient.decode(v);
  }
  return String(v);
}

/**
 * An event payload as it is stored: packed when unpacking the packed form
 * gives back exactly `text` (the canonical text the event's hash covers),
 * else `text`. The packer is hand-written; this check makes a mistake in
 * it cost bytes, never an event whose stored form no longer matches its
 * hash (which audit verify would report as tampering). ~1 µs per event.
 */
export function storedPayload(
  payload: Record<string, unknown>,
  text: string,
  pack: (p: Record<string, unknown>) => Uint8Array | null = packPayload,
): Uint8Array | string {
  const memo = pack === packPayload;
  if (memo) {
    const seen = CHECKED.get(text);
    if (seen !== undefined) return seen;
  }
  const packed = pack(payload);
  if (packed === null) return text;
  try {
    if (canonicalize(unpackPayload(packed, "a payload just packed")) === text) {
      if (memo) {
        if (CHECKED.size >= CHECKED_MAX) CHECKED.clear();
        CHECKED.set(text, packed);
      }
      return packed;
    }
  } catch { /* not unpackable: keep the text */ }
  return text;
}

/**
 * Packed forms storedPayload checked, by the text each unpacks to: many
 * payloads repeat word for word (every allow under one policy, every intent
 * of one session), and a packed form that unpacked to a text once does so
 * again, so a repeat costs a lookup instead of a pack, an unpack and a
 * canonical encoding (issue 12). The bytes are shared: callers bind them to
 * a statement and never change them. Emptied when full, so unique texts
 * (digests, ids) only ever cost the memo their insertion.
 */
const CHECKED = new Map<string, Uint8Array>();
const CHECKED_MAX = 256;
