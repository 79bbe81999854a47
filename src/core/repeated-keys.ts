/**
 * Whether a JSON text repeats a key in one of its objects, told from the
 * text and the value JSON.parse made of it, in one pass over each and
 * without building anything: in valid JSON every `:` outside a string ends
 * one object member's key, and JSON.parse gives each distinct key of an
 * object one own property (`__proto__` included), so fewer properties than
 * colons means some object named a key twice. JSON.parse keeps the last of
 * duplicate keys and other readers the first, so a line that repeats one
 * must be refused, not read (parseJsonStrict then names the key and where).
 */

/**
 * True when `text`, which JSON.parse accepted and turned into `value`,
 * repeats a key in some object. Never throws for such a pair; for a pair
 * that did not come from JSON.parse the answer means nothing.
 *
 * @example repeatsKey('{"a":1,"a":2}', JSON.parse('{"a":1,"a":2}')) // → true
 * @example repeatsKey('{"a":":"}', { a: ":" }) // → false
 */
export function repeatsKey(text: string, value: unknown): boolean {
  return colonsOutsideStrings(text) !== members(value);
}

/** `:` characters outside string literals (escapes inside strings skipped). */
function colonsOutsideStrings(text: string): number {
  let n = 0;
  let i = 0;
  const len = text.length;
  while (i < len) {
    const c = text.charCodeAt(i++);
    if (c === 58) n++;
    else if (c === 34) {
      // A string: to its closing quote, stepping over each escaped character.
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return n; // not JSON; cannot happen after JSON.parse
        let back = 0;
        while (text.charCodeAt(q - 1 - back) === 92) back++;
        i = q + 1;
        if (back % 2 === 0) break;
      }
    }
  }
  return n;
}

/** Own properties over every object nested in `value` (arrays walked, not counted). */
function members(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else {
      for (const k in v) {
        if (Object.hasOwn(v, k)) {
          n++;
          stack.push((v as Record<string, unknown>)[k]);
        }
      }
    }
  }
  return n;
}
