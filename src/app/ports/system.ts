/**
 * Clock, ids and logs: the world's time, randomness and diagnostics, passed
 * in so that every use case and test is deterministic (time and randomness are arguments).
 * Adapters: platform/system.ts.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export type IdKind = "session" | "action" | "request" | "callback_run";

export interface Ids {
  /** A new unique, time-ordered id such as "act_01JD…" (prefix by kind). */
  next(kind: IdKind): string;
  /** `n` cryptographically random bytes. */
  random(n: number): Uint8Array;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured logs: one JSON object per line on stderr, never stdout. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}
