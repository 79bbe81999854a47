/**
 * Statistics and formatting helpers for the benchmarks: percentiles over
 * latency samples, throughput, and markdown tables.
 */

/** Summary of a sample set (same unit as the samples, usually ms). */
export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The `p`-th percentile (0–100) of ascending `sorted`, nearest-rank method.
 *
 * @throws RangeError on an empty sample or `p` outside 0–100.
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of an empty sample");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The median of `samples` (any order). */
export function median(samples: readonly number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 50);
}

/** min / mean / p50 / p90 / p99 / max of `samples` (any order). */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    min: s[0] ?? NaN,
    mean: s.length ? sum / s.length : NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
  };
}

/** Formats a number with `digits` significant-ish decimals: 1234 → "1,234", 0.0123 → "0.0123". */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 100) return Math.round(x).toLocaleString("en-US");
  if (abs >= 1) return x.toFixed(Math.max(0, digits - 1));
  if (abs === 0) return "0";
  return x.toPrecision(digits);
}

/** A ratio `a / b` as "1.23×" (or "n/a" when b is 0). */
export function ratio(a: number, b: number): string {
  return b === 0 || !Number.isFinite(a / b) ? "n/a" : `${(a / b).toFixed(2)}×`;
}

/**
 * A GitHub-flavoured markdown table; `align` per column: "l" (default for the
 * first column) or "r" (default for the others).
 *
 * @example markdownTable(["case", "ops/s"], [["seq", "12,000"]])
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ("l" | "r")[],
): string {
  const al = headers.map((_, i) => align?.[i] ?? (i === 0 ? "l" : "r"));
  const width = headers.map((h, i) =>
    Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length))
  );
  const cell = (
    s: string,
    i: number,
  ) => (al[i] === "r" ? s.padStart(width[i]!) : s.padEnd(width[i]!));
  const line = (cells: readonly string[]) =>
    `| ${headers.map((_, i) => cell(cells[i] ?? "", i)).join(" | ")} |`;
  const sep = `| ${
    width.map((w, i) => (al[i] === "r" ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")
  } |`;
  return [line(headers), sep, ...rows.map(line)].join("\n");
}
