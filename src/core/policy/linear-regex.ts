/**
 * A regular-expression matcher that runs in time linear in the input (a
 * Thompson NFA simulated Pike-style), for the policy operator `regex`.
 * JavaScript's RegExp backtracks: `(a+)+$` or `a*a*a*b` take exponential or
 * high-polynomial time on hostile input. Here no pattern can: every input
 * character advances a set of at most `states` NFA states.
 *
 * Supported: literals, `.`, classes `[a-z0-9_]` / `[^…]`, escapes `\d \w \s
 * \D \W \S` and escaped metacharacters, anchors `^ $`, groups `( )` and
 * `(?: )`, alternation `|`, quantifiers `* + ?` and `{n}`, `{n,}`, `{n,m}`
 * (bounds ≤ 100). Not supported (refused at load, with why): backreferences,
 * lookaround, named groups, flags. Search semantics (like RegExp.test):
 * the pattern may match anywhere unless anchored.
 */
import { WarrantError } from "../errors.ts";

type Pred = (c: number) => boolean;
type Node =
  | { t: "char"; p: Pred }
  | { t: "bol" }
  | { t: "eol" }
  | { t: "cat"; xs: Node[] }
  | { t: "alt"; xs: Node[] }
  | { t: "rep"; x: Node; min: number; max: number };

/** NFA state: a char test, a split (epsilon to two), an assertion, or match. */
interface State {
  k: 0 | 1 | 2 | 3 | 4; // 0 char, 1 split, 2 bol, 3 eol, 4 match
  p?: Pred;
  out: number;
  out2: number;
}

export const REGEX_MAX_PATTERN = 512;
export const REGEX_MAX_STATES = 4096;
const MAX_BOUND = 100;

const isDigit: Pred = (c) => c >= 48 && c <= 57;
const isWord: Pred = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace: Pred = (c) =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;
const ESCAPE_CLASSES: Record<string, Pred> = {
  d: isDigit,
  w: isWord,
  s: isSpace,
  D: (c) => !isDigit(c),
  W: (c) => !isWord(c),
  S: (c) => !isSpace(c),
};
const ESCAPE_CHARS: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, "0": 0 };
const META = "\\^$.|?*+()[]{}/-";

function unsafe(pattern: string, why: string): never {
  throw new WarrantError(
    "policy_pattern_unsafe",
    `regex ${JSON.stringify(pattern.slice(0, 80))} is not accepted: ${why}`,
  );
}

class Parser {
  i = 0;
  constructor(readonly src: string) {}

  parse(): Node {
    const n = this.alt();
    if (this.i < this.src.length) unsafe(this.src, `unexpected ")" at ${this.i}`);
    return n;
  }

  private alt(): Node {
    const xs = [this.cat()];
    while (this.src[this.i] === "|") {
      this.i++;
      xs.push(this.cat());
    }
    return xs.length === 1 ? xs[0]! : { t: "alt", xs };
  }

  private cat(): Node {
    const xs: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== "|" && this.src[this.i] !== ")") {
      xs.push(this.repeat(this.atom()));
    }
    return { t: "cat", xs };
  }

  private repeat(x: Node): Node {
    const c = this.src[this.i];
    let min: number;
    let max: number;
    if (c === "*") [min, max] = [0, Infinity];
    else if (c === "+") [min, max] = [1, Infinity];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(this.src.slice(this.i));
      if (!m) unsafe(this.src, `malformed {n,m} at ${this.i}`);
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (min > MAX_BOUND || (max !== Infinity && max > MAX_BOUND) || max < min) {
        unsafe(this.src, `repetition bounds must be 0..${MAX_BOUND} with n ≤ m`);
      }
      this.i += m[0].length - 1;
    } else return x;
    this.i++;
    if (this.src[this.i] === "?") unsafe(this.src, "lazy quantifiers are not supported");
    if ("*+?{".includes(this.src[this.i] ?? "\0")) {
      unsafe(this.src, `a quantifier follows a quantifier at ${this.i}`);
    }
    if (x.t === "bol" || x.t === "eol") unsafe(this.src, "an anchor cannot be repeated");
    return { t: "rep", x, min, max };
  }

  private atom(): Node {
    const c = this.src[this.i++]!;
    switch (c) {
      case ".":
        return { t: "char", p: (x) => x !== 10 && x !== 13 };
      case "^":
        return { t: "bol" };
      case "$":
        return { t: "eol" };
      case "[":
        return { t: "char", p: this.klass() };
      case "\\":
        return { t: "char", p: this.escape(false) };
      case "(": {
        if (this.src[this.i] === "?") {
          if (this.src[this.i + 1] !== ":") {
            unsafe(this.src, "lookaround, named groups and inline flags are not supported");
          }
          this.i += 2;
        }
        const inner = this.alt();
        if (this.src[this.i] !== ")") unsafe(this.src, "unbalanced parenthesis");
        this.i++;
        return inner;
      }
      case "*":
      case "+":
      case "?":
      case "{":
        return unsafe(this.src, `nothing to repeat at ${this.i - 1}`);
      case ")":
        return unsafe(this.src, `unbalanced ")" at ${this.i - 1}`);
      default: {
        const code = c.charCodeAt(0);
        return { t: "char", p: (x) => x === code };
      }
    }
  }

  private escape(inClass: boolean): Pred {
    const e = this.src[this.i++];
    if (e === undefined) unsafe(this.src, "trailing backslash");
    if (e >= "1" && e <= "9") unsafe(this.src, "backreferences are not supported");
    if (!inClass && (e === "b" || e === "B")) unsafe(this.src, "word boundaries are not supported");
    const cls = ESCAPE_CLASSES[e];
    if (cls) return cls;
    const ch = ESCAPE_CHARS[e] ?? (META.includes(e) ? e.charCodeAt(0) : undefined);
    if (ch === undefined) unsafe(this.src, `unknown escape \\${e}`);
    return (x) => x === ch;
  }

  private klass(): Pred {
    const negate = this.src[this.i] === "^";
    if (negate) this.i++;
    const parts: Pred[] = [];
    let first = true;
    while (this.i < this.src.length && (this.src[this.i] !== "]" || first)) {
      first = false;
      let lo: number;
      if (this.src[this.i] === "\\") {
        this.i++;
        const p = this.escape(true);
        const e = this.src[this.i - 1]!;
        if (ESCAPE_CLASSES[e]) {
          parts.push(p);
          continue;
        }
        lo = ESCAPE_CHARS[e] ?? e.charCodeAt(0);
      } else lo = this.src.charCodeAt(this.i++);
      if (
        this.src[this.i] === "-" && this.src[this.i + 1] !== "]" && this.i + 1 < this.src.length
      ) {
        this.i++;
        let hi = this.src.charCodeAt(this.i++);
        if (this.src[this.i - 1] === "\\") hi = this.src.charCodeAt(this.i++);
        if (hi < lo) unsafe(this.src, "a character range is out of order");
        parts.push((x) => x >= lo && x <= hi);
      } else parts.push((x) => x === lo);
    }
    if (this.src[this.i] !== "]") unsafe(this.src, "unterminated character class");
    this.i++;
    const any = (x: number) => parts.some((p) => p(x));
    return negate ? (x) => !any(x) : any;
  }
}

/** A compiled linear-time matcher. */
export interface LinearRegex {
  readonly source: string;
  /** True when the pattern matches somewhere in `s` (like RegExp#test). */
  test(s: string): boolean;
}

class Builder {
  readonly states: State[] = [];
  add(s: State): number {
    if (this.states.length >= REGEX_MAX_STATES) throw new Error("too many states");
    this.states.push(s);
    return this.states.length - 1;
  }
  /** Build `n` so that it continues to `next`; returns its entry state. */
  build(n: Node, next: number): number {
    switch (n.t) {
      case "char":
        return this.add({ k: 0, p: n.p, out: next, out2: -1 });
      case "bol":
        return this.add({ k: 2, out: next, out2: -1 });
      case "eol":
        return this.add({ k: 3, out: next, out2: -1 });
      case "cat": {
        let entry = next;
        for (let i = n.xs.length - 1; i >= 0; i--) entry = this.build(n.xs[i]!, entry);
        return entry;
      }
      case "alt": {
        let entry = this.build(n.xs[n.xs.length - 1]!, next);
        for (let i = n.xs.length - 2; i >= 0; i--) {
          entry = this.add({ k: 1, out: this.build(n.xs[i]!, next), out2: entry });
        }
        return entry;
      }
      case "rep": {
        let entry = next;
        if (n.max === Infinity) {
          // x* : a split whose one branch is x looping back to the split.
          const split = this.add({ k: 1, out: -1, out2: next });
          this.states[split]!.out = this.build(n.x, split);
          entry = split;
        } else {
          for (let i = n.max; i > n.min; i--) {
            entry = this.add({ k: 1, out: this.build(n.x, entry), out2: next });
          }
        }
        for (let i = 0; i < n.min; i++) entry = this.build(n.x, entry);
        return entry;
      }
    }
  }
}

/**
 * Compile `pattern`. Throws WarrantError("policy_pattern_unsafe") naming
 * what is not supported, or when the pattern is too long or too large.
 *
 * @example compileLinearRegex("^[a-z]+@acme\\.com$").test("bob@acme.com") // → true
 */
export function compileLinearRegex(pattern: string): LinearRegex {
  if (pattern.length > REGEX_MAX_PATTERN) {
    unsafe(pattern, `longer than ${REGEX_MAX_PATTERN} characters`);
  }
  const ast = new Parser(pattern).parse();
  const b = new Builder();
  const match = b.add({ k: 4, out: -1, out2: -1 });
  let start: number;
  try {
    start = b.build(ast, match);
  } catch {
    return unsafe(
      pattern,
      `it expands to more than ${REGEX_MAX_STATES} states; use smaller repetition bounds`,
    );
  }
  const states = b.states;
  const n = states.length;
  return {
    source: pattern,
    test(s: string): boolean {
      let cur = new Int32Array(n);
      let nxt = new Int32Array(n);
      let curLen = 0;
      let nxtLen = 0;
      const mark = new Int32Array(n).fill(-1);
      const stack = new Int32Array(n);
      let gen = 0;
      // Add `st` and its epsilon closure at position `pos` into the list `into`.
      const close = (st: number, pos: number, into: Int32Array, len: number): number | -1 => {
        let sp = 0;
        stack[sp++] = st;
        while (sp > 0) {
          const i = stack[--sp]!;
          if (mark[i] === gen) continue;
          mark[i] = gen;
          const x = states[i]!;
          if (x.k === 4) return -1;
          if (x.k === 1) {
            stack[sp++] = x.out2;
            stack[sp++] = x.out;
          } else if (x.k === 2) {
            if (pos === 0 || s.charCodeAt(pos - 1) === 10) stack[sp++] = x.out;
          } else if (x.k === 3) {
            if (pos === s.length || s.charCodeAt(pos) === 10) stack[sp++] = x.out;
          } else into[len++] = i;
        }
        return len;
      };
      for (let pos = 0; pos <= s.length; pos++) {
        gen++;
        // Carry the states reached by the previous character, then try a new start here.
        nxtLen = 0;
        for (let j = 0; j < curLen; j++) {
          const r = close(cur[j]!, pos, nxt, nxtLen);
          if (r === -1) return true;
          nxtLen = r;
        }
        const r = close(start, pos, nxt, nxtLen);
        if (r === -1) return true;
        nxtLen = r;
        if (pos === s.length) break;
        const c = s.charCodeAt(pos);
        curLen = 0;
        const tmp = cur;
        cur = nxt;
        nxt = tmp;
        // Advance: keep the out-state of each char state that accepts c.
        let w = 0;
        for (let j = 0; j < nxtLen; j++) {
          const x = states[cur[j]!]!;
          if (x.p!(c)) nxt[w++] = x.out;
        }
        const t2 = cur;
        cur = nxt;
        nxt = t2;
        curLen = w;
      }
      return false;
    },
  };
}
