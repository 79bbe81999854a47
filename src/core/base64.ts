/**
 * Strict standard base64 (RFC 4648 §4, padding required) and lowercase hex.
 * Strict means one text per byte string: no whitespace, no URL alphabet, no
 * missing padding, no non-zero bits after the last byte. Signed formats need
 * that, or one signature would have several spellings.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Encode bytes as standard padded base64.
 *
 * @example encodeBase64(new Uint8Array([1, 2, 3])) // "AQID"
 */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Decode strict padded base64; returns null (never throws) when `text` is not
 * the one canonical encoding of some bytes, or when `expectedLength` is given
 * and the decoded length differs.
 *
 * @example decodeBase64("AQID") // Uint8Array [1, 2, 3]
 * @example decodeBase64("AQI") // null (padding missing)
 */
export function decodeBase64(text: string, expectedLength?: number): Uint8Array | null {
  if (typeof text !== "string" || text.length % 4 !== 0) return null;
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const len = (text.length / 4) * 3 - pad;
  if (expectedLength !== undefined && len !== expectedLength) return null;
  const out = new Uint8Array(len);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const v: number[] = [];
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      if (last && j >= 4 - pad) {
        if (c !== 61) return null;
        v.push(0);
        continue;
      }
      const d = c < 128 ? DECODE[c]! : -1;
      if (d < 0) return null;
      v.push(d);
    }
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    if (last && pad === 2 && (n & 0xffff) !== 0) return null;
    if (last && pad === 1 && (n & 0xff) !== 0) return null;
    out[o++] = n >> 16;
    if (o < len) out[o++] = (n >> 8) & 255;
    if (o < len) out[o++] = n & 255;
  }
  return out;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE["0123456789abcdef".charCodeAt(i)] = i;
  HEX_VALUE["0123456789ABCDEF".charCodeAt(i)] = i;
}

/** Lowercase hex of `bytes` (table-driven: this is on the audit hot path). */
export function encodeHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX_PAIRS[bytes[i]!]!;
  return s;
}

/** Bytes of hex text known to be well-formed (even length, 0-9a-fA-F), e.g. a stored hash. */
export function hexToBytesUnchecked(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) {
    out[i] = (HEX_VALUE[hex.charCodeAt(j)]! << 4) | HEX_VALUE[hex.charCodeAt(j + 1)]!;
  }
  return out;
}

/**
 * Decode hex (either case, even length); null when `text` is not hex.
 *
 * @example decodeHex("0aff") // Uint8Array [10, 255]
 */
export function decodeHex(text: string): Uint8Array | null {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    return null;
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Constant-shape byte comparison (length first, then every byte). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** UTF-8 encode a string. Lone surrogates become U+FFFD (use canonical JSON to reject them). */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * Strict UTF-8 decode: null when `bytes` is not valid UTF-8 (a signed file
 * must not silently change under decoding).
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}
