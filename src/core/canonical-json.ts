/**
 * RFC 8785 JSON Canonicalization Scheme (JCS), and a strict JSON parser for
 * signed documents (duplicate keys rejected, bounded nesting).
 *
 * JCS: object keys sorted by UTF-16 code units, no whitespace, strings in the
 * ECMAScript JSON.stringify form, numbers in the ECMAScript Number-to-String
 * form (which is what JSON.stringify produces for a finite number; -0 → "0").
 */
import { WarrantError } from "./errors.ts";

/** Deepest nesting canonicalize() accepts (also stops cycles early). */
export const CANONICAL_MAX_DEPTH = 512;
/** Deepest nesting parseJsonStrict() accepts by default. */
export const STRICT_JSON_MAX_DEPTH = 64;

function invalid(path: string, what: string): never {
  throw new WarrantError(
    "canonical_json_invalid",
    `Cannot canonicalize JSON at ${path}: ${what}; only null, booleans, finite numbers, ` +
      `well-formed strings, arrays and plain objects are allowed`,
    { path },
  );
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Any surrogate at all: a native scan, so the exact pairing check runs only when needed. */
const SURROGATE = /[\uD800-\uDFFF]/;

function encodeString(s: string, path: string): string {
  if (SURROGATE.test(s) && hasLoneSurrogate(s)) {
    invalid(path, "string contains a lone UTF-16 surrogate");
  }
  return JSON.stringify(s);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function encode(v: unknown, path: string, depth: number, seen: Set<object>): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) invalid(path, `number ${v} is not finite`);
      return JSON.stringify(v);
    case "string":
      return encodeString(v, path);
    case "object":
      break;
    default:
      return invalid(path, `a value of type ${typeof v}`);
  }
  const obj = v as object;
  if (depth >= CANONICAL_MAX_DEPTH) invalid(path, `nesting deeper than ${CANONICAL_MAX_DEPTH}`);
  if (seen.has(obj)) invalid(path, "a cycle");
  seen.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    const parts: string[] = [];
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) invalid(`${path}[${i}]`, "an array hole");
      parts.push(encode(obj[i], `${path}[${i}]`, depth + 1, seen));
    }
    out = `[${parts.join(",")}]`;
  } else {
    if (!isPlainObject(obj)) invalid(path, `a non-plain object (${obj.constructor?.name ?? "?"})`);
    if (Object.getOwnPropertySymbols(obj).length > 0) invalid(path, "a symbol key");
    const keys = Object.keys(obj).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const child = (obj as Record<string, unknown>)[k];
      const p = `${path}.${k}`;
      parts.push(`${encodeString(k, p)}:${encode(child, p, depth + 1, seen)}`);
    }
    out = `{${parts.join(",")}}`;
  }
  seen.delete(obj);
  return out;
}

/**
 * Serialize `value` as RFC 8785 canonical JSON. Throws
 * WarrantError("canonical_json_invalid") naming the JSON path for NaN,
 * ±Infinity, lone surrogates, undefined, functions, symbols, bigint, array
 * holes, cycles and non-plain objects (Date, Map, class instances).
 *
 * @example canonicalize({ b: 1, a: [1e30, -0, "€"] }) // '{"a":[1e+30,0,"€"],"b":1}'
 */
export function canonicalize(value: unknown): string {
  // The hot path (every event payload, digest and chain link) builds no JSON
  // path strings; any refusal is re-run through `encode`, which names where.
  try {
    return fast(value, 0);
  } catch (e) {
    if (e !== REFUSED) throw e;
  }
  return encode(value, "$", 0, new Set());
}

/** Thrown by `fast` for anything `encode` would refuse (and for deep nesting, left to it). */
const REFUSED = new Error("not canonicalisable on the fast path");

/**
 * canonicalize() without paths: the same output for every value it accepts.
 * Depth past FAST_MAX_DEPTH (and so any cycle) is handed to `encode`.
 */
function fast(v: unknown, depth: number): string {
  switch (typeof v) {
    case "string":
      return fastString(v);
    case "number":
      // String() of a finite number is its JSON.stringify form (-0 → "0").
      if (!Number.isFinite(v)) throw REFUSED;
      return String(v);
    case "boolean":
      return v ? "true" : "false";
    case "object":
      break;
    default:
      throw REFUSED;
  }
  if (v === null) return "null";
  if (depth >= FAST_MAX_DEPTH) throw REFUSED;
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw REFUSED;
      out += i === 0 ? fast(v[i], depth + 1) : `,${fast(v[i], depth + 1)}`;
    }
    return `${out}]`;
  }
  if (!isPlainObject(v) || Object.getOwnPropertySymbols(v).length > 0) throw REFUSED;
  const keys = sortedKeys(v as object);
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const member = `${fastString(k)}:${fast((v as Record<string, unknown>)[k], depth + 1)}`;
    out += i === 0 ? member : `,${member}`;
  }
  return `${out}}`;
}

/**
 * An object's own keys in canonical order (RFC 8785: by UTF-16 code units,
 * which is how Array.prototype.sort and `<` compare strings). A payload has
 * a handful of keys: an insertion sort with `<` puts them in the same order
 * as sort() at a few times less cost; larger objects use sort().
 */
export function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** Characters JSON.stringify escapes, and surrogates (checked for pairing). */
// deno-lint-ignore no-control-regex -- the control characters are what it looks for
const SPECIAL = /["\\\u0000-\u001f\uD800-\uDFFF]/;

/** A string as canonical JSON: quoted as is when nothing in it needs a look. */
function fastString(s: string): string {
  if (!SPECIAL.test(s)) return `"${s}"`;
  if (SURROGATE.test(s) && hasLoneSurrogate(s)) throw REFUSED;
  return JSON.stringify(s);
}

/** Nesting the fast path handles; deeper values (and cycles) go through `encode`. */
const FAST_MAX_DEPTH = 64;

/** canonicalize() as UTF-8 bytes. Fails like canonicalize(). */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

// ───────────────────────────── strict parser ─────────────────────────────

class Parser {
  i = 0;
  constructor(readonly s: string, readonly maxDepth: number) {}

  fail(what: string): never {
    // Line and column (1-based, in UTF-16 code units) so an editor can jump there.
    let line = 1;
    let col = 1;
    for (let k = 0; k < this.i && k < this.s.length; k++) {
      if (this.s.charCodeAt(k) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new WarrantError(
      "json_invalid",
      `Invalid JSON at line ${line}, column ${col} (offset ${this.i}): ${what}`,
      { offset: this.i, line, column: col },
    );
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  value(depth: number, path: string): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object(depth + 1, path);
    if (c === "[") return this.array(depth + 1, path);
    if (c === '"') return this.string();
    if (c === "t") return this.literal("true", true);
    if (c === "f") return this.literal("false", false);
    if (c === "n") return this.literal("null", null);
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    return this.fail(
      c === undefined ? "unexpected end of input" : `unexpected character ${JSON.stringify(c)}`,
    );
  }

  literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail(`expected ${word}`);
    this.i += word.length;
    return v;
  }

  number(): number {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(
      this.s.slice(this.i, this.i + 400),
    );
    if (!m) this.fail("malformed number");
    this.i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) this.fail(`number ${m[0]} is out of range`);
    return n;
  }

  string(): string {
    const s = this.s;
    const start = this.i;
    let escaped = false;
    this.i++;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 34) {
        this.i++;
        // Without an escape the characters between the quotes are the value.
        return escaped
          ? JSON.parse(s.slice(start, this.i)) as string
          : s.slice(start + 1, this.i - 1);
      }
      if (c < 0x20) this.fail("control character in string");
      if (c === 92) {
        escaped = true;
        const e = s[this.i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6))) {
            this.fail("bad \\u escape");
          }
          this.i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) this.i += 2;
        else this.fail("bad escape");
      } else this.i++;
    }
    return this.fail("unterminated string");
  }

  array(depth: number, path: string): unknown[] {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth, `${path}[${out.length}]`));
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected , or ] in array");
    }
  }

  object(depth: number, path: string): Record<string, unknown> {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.i++;
    const out: Record<string, unknown> = {};
    const keys = new Set<string>();
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a string key");
      const key = this.string();
      if (keys.has(key)) {
        throw new WarrantError(
          "json_duplicate_key",
          `Invalid JSON: duplicate key ${JSON.stringify(key)} in the object at ${path}; ` +
            `each key may appear once in a signed document`,
          { path, key },
        );
      }
      keys.add(key);
      this.ws();
      if (this.s[this.i++] !== ":") this.fail("expected : after key");
      const v = this.value(depth, `${path}.${key}`);
      // defineProperty: a "__proto__" key stays an own data property.
      if (key === "__proto__") {
        Object.defineProperty(out, key, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[key] = v;
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected , or } in object");
    }
  }
}

/**
 * Parse JSON text strictly, in linear time: RFC 8259 grammar only, no BOM,
 * no trailing data, nesting at most `maxDepth` (default 64). Throws
 * WarrantError("json_duplicate_key") naming the key and its path when an
 * object repeats a key, and WarrantError("json_invalid") with the offset for
 * anything else.
 *
 * @example parseJsonStrict('{"a":1}') // { a: 1 }
 * @example parseJsonStrict('{"a":1,"a":2}') // throws json_duplicate_key
 */
export function parseJsonStrict(text: string, maxDepth = STRICT_JSON_MAX_DEPTH): unknown {
  const p = new Parser(text, maxDepth);
  const v = p.value(0, "$");
  p.ws();
  if (p.i !== text.length) p.fail("unexpected data after the JSON value");
  return v;
}
