/**
 * "Did you mean": the known word closest to a mistyped one, for messages
 * (a config section, a verb). Pure.
 */

/**
 * The candidate closest to `word` when it is plausibly a typo of it: edit
 * distance at most 2 (and under half the candidate's length), or one being
 * a prefix of the other (a left-off suffix such as "_ms"); null otherwise.
 *
 * @example closest("polcy", ["policy", "store"]) // "policy"
 * @example closest("aprove", ["approve", "deny"]) // "approve"
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const l = c.toLowerCase();
    const d = w.length >= 4 && (l.startsWith(w) || w.startsWith(l)) ? 1 : editDistance(w, l);
    if (d < bestD && d <= 2 && d < Math.max(2, c.length / 2)) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}
