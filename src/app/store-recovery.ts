/**
 * What a gate answered while its store could not write, so that it is
 * recorded once the store writes again: the ids of governs refused as
 * store_unavailable (also logged on stderr as they happen), and the outcomes
 * of actions that ran but whose completed/failed could not be committed
 * (those stay `executing` in the store until then).
 */
import type { Clock, Logger } from "./ports/system.ts";
import type { Store, StoreTx } from "./ports/store.ts";
import type { ToolOutcome } from "./ports/tool-runner.ts";
import { commitOutcome } from "./execute.ts";

/** At most this many ids are listed in one store.recovered event (the count is exact). */
const LISTED = 100;

export class StoreRecovery {
  private unrecorded: Array<{ action_id: string; tool: string; at: number }> = [];
  private count = 0;
  private readonly outcomes = new Map<string, ToolOutcome>();

  /** Nothing is waiting to be recorded. */
  get idle(): boolean {
    return this.count === 0 && this.outcomes.size === 0;
  }

  /** A govern answered store_unavailable, unrecorded. */
  noteRefused(actionId: string, tool: string, at: number): void {
    this.count++;
    if (this.unrecorded.length < LISTED) this.unrecorded.push({ action_id: actionId, tool, at });
  }

  /** An executed action whose outcome could not be committed. */
  noteOutcome(actionId: string, out: ToolOutcome): void {
    this.outcomes.set(actionId, out);
  }

  /**
   * Try to record everything noted, in one transaction: a `store.recovered`
   * event with the count and ids of the governs answered unrecorded, and the
   * outcome of each action left `executing`. Returns false (and keeps the
   * notes) while the store still cannot write.
   */
  recover(store: Store, clock: Clock, logger: Logger): boolean {
    if (this.idle) return true;
    try {
      store.tx((tx) => {
        const now = clock.now();
        const reconciled: string[] = [];
        for (const [id, out] of this.outcomes) {
          if (reconcileOne(tx, id, out, now)) reconciled.push(id);
        }
        tx.appendEvent({
          type: "store.recovered",
          at: now,
          payload: {
            unrecorded: this.count,
            actions: this.unrecorded.map((u) => u.action_id),
            reconciled,
          },
        });
      });
    } catch (e) {
      logger.log("warn", "store still unavailable", { error: String(e) });
      return false;
    }
    logger.log("info", "store recovered", {
      unrecorded: this.count,
      actions: this.unrecorded.map((u) => u.action_id),
      reconciled: [...this.outcomes.keys()],
    });
    this.unrecorded = [];
    this.count = 0;
    this.outcomes.clear();
    return true;
  }
}

/** Record an outcome that could not be committed earlier, if the action still waits for it. */
function reconcileOne(tx: StoreTx, id: string, out: ToolOutcome, now: number): boolean {
  const a = tx.getAction(id);
  if (!a || a.state !== "executing") return false; // already reconciled elsewhere (unknown)
  commitOutcome(tx, id, out, now);
  return true;
}
