/**
 * The Witness port: an append-only record kept OUTSIDE the store (and its
 * folder), where signed audit checkpoints are written. What it protects
 * rests on the agent being unable to write it (README "Threat model").
 * Adapter: platform/witness-dir.ts (a directory; a URL may follow).
 */
export interface Witness {
  /** Where it is, for messages (a path). */
  readonly where: string;
  /** Append one line durably (fsynced before returning). Throws on failure. */
  append(line: string): void;
  /** The last lines, reading at most `maxBytes` from the end. */
  tail(maxBytes: number): string[];
  /** Every line. */
  all(): string[];
}
