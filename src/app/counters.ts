/**
 * Budgets and rate limits read from, and written to, the store inside the
 * decision's transaction: the check and the record are one atomic step.
 */
import type { Counters, Decision } from "../core/policy/types.ts";
import type { StoreReads, StoreTx } from "./ports/store.ts";

/** Counters over the store, for windows ending at `now`. */
export function storeCounters(reads: StoreReads, now: number): Counters {
  return {
    spent: (key, windowMs) => reads.counterSum(key, now - windowMs),
    hits: (key, windowMs) => reads.counterCount(key, now - windowMs),
  };
}

/** Record the spends and rate hits a decision carries. */
export function recordCounters(tx: StoreTx, d: Decision, actionId: string, now: number): void {
  for (const s of d.spends) tx.addCounter(s.key, s.amount, now, actionId);
  for (const r of d.rates) tx.addCounter(r.key, 1, now, actionId);
}
