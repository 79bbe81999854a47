/**
 * Durations as policies and the CLI write them: an integer and a unit,
 * `ms s m h d` ("250ms", "30s", "30m", "24h", "7d").
 */
import { WarrantError } from "../errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION_RE = /^([1-9][0-9]{0,8})(ms|s|m|h|d)$/;

/**
 * Milliseconds of a duration. Throws invalid_argument with the accepted forms.
 *
 * @example durationMs("30m") // → 1800000
 */
export function durationMs(text: string): number {
  const m = DURATION_RE.exec(text);
  if (!m) {
    throw new WarrantError(
      "invalid_argument",
      `invalid duration ${
        JSON.stringify(text)
      }: write a positive integer and a unit, e.g. 30s, 15m, 24h, 7d`,
    );
  }
  return Number(m[1]) * UNITS[m[2]!]!;
}
