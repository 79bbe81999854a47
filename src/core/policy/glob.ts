/**
 * Glob matching for tool names and the `glob` operator: `*` matches any run
 * of characters (including none), `?` exactly one; everything else is
 * literal. Linear-ish and backtracking-free: the pattern is split at `*` and
 * each segment is found leftmost (greedy leftmost is optimal for `*`-separated
 * segments), so hostile input cannot make it explode.
 */

export const GLOB_MAX_PATTERN = 256;

/** A compiled glob. */
export type GlobMatcher = (s: string) => boolean;

function segmentAt(s: string, seg: string, at: number): boolean {
  if (at + seg.length > s.length) return false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== s.charCodeAt(at + i)) return false;
  }
  return true;
}

function findSegment(s: string, seg: string, from: number): number {
  if (!seg.includes("?")) return s.indexOf(seg, from);
  for (let i = from; i + seg.length <= s.length; i++) if (segmentAt(s, seg, i)) return i;
  return -1;
}

/** True when `pattern` contains a wildcard. */
export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/** The literal text before the first wildcard. */
export function literalPrefix(pattern: string): string {
  const i = pattern.search(/[*?]/);
  return i < 0 ? pattern : pattern.slice(0, i);
}

/**
 * Compile a glob. Never throws; patterns are length-checked by the schema.
 *
 * @example compileGlob("search_*")("search_docs") // → true
 */
export function compileGlob(pattern: string): GlobMatcher {
  if (!isGlob(pattern)) return (s) => s === pattern;
  const segs = pattern.split("*");
  if (segs.length === 1) return (s) => s.length === pattern.length && segmentAt(s, pattern, 0);
  const head = segs[0]!;
  const tail = segs[segs.length - 1]!;
  const middle = segs.slice(1, -1).filter((x) => x.length > 0);
  const minLen = head.length + tail.length + middle.reduce((n, m) => n + m.length, 0);
  return (s) => {
    if (
      s.length < minLen || !segmentAt(s, head, 0) || !segmentAt(s, tail, s.length - tail.length)
    ) return false;
    let at = head.length;
    const end = s.length - tail.length;
    for (const m of middle) {
      const i = findSegment(s, m, at);
      if (i < 0 || i + m.length > end) return false;
      at = i + m.length;
    }
    return true;
  };
}
