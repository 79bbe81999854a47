/**
 * Run an action's body, once, after its `executing` intent is committed, and
 * record the outcome. The body is whatever the ToolRunner does: a run_tool
 * callback to the hook, or a declared tool's process.
 */
import { outcomeOf } from "./outcome.ts";
import type { GovernOutcome } from "./outcome.ts";
import type { ToolRunner } from "./ports/tool-runner.ts";
import type { ActionRecord } from "../core/records.ts";
import type { Clock, Logger } from "./ports/system.ts";
import type { Store, StoreTx } from "./ports/store.ts";
import type { ToolOutcome } from "./ports/tool-runner.ts";

interface ExecDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Told about an outcome that could not be committed (recorded when the store is back). */
  onUnrecorded?: (actionId: string, out: ToolOutcome) => void;
}

/**
 * Commit a body's outcome: executing → completed | failed | unknown.
 * `action`: its id, or its `executing` record as the store returned it
 * (then the row is not read back: StoreTx.transition).
 */
export function commitOutcome(
  tx: StoreTx,
  action: string | ActionRecord,
  out: ToolOutcome,
  now: number,
): ActionRecord {
  if (out.ok) {
    // The store records the output's digest; untrusted documents only when there are some.
    const docs = out.documents && out.documents.count > 0 ? { documents: out.documents } : {};
    return tx.transition(
      action,
      ["executing"],
      "completed",
      { output: out.output ?? null },
      now,
      docs,
    );
  }
  if (out.unknown) {
    return tx.transition(action, ["executing"], "unknown", {
      kind: "outcome_unknown",
      reason: out.message ?? "the outcome is unknown",
      ...(out.detail !== undefined ? { detail: out.detail } : {}),
    }, now);
  }
  return tx.transition(action, ["executing"], "failed", {
    kind: out.timed_out ? "execution_timeout" : "execution_failed",
    reason: out.message ?? "the tool failed",
    ...(out.detail !== undefined ? { detail: out.detail } : {}),
  }, now);
}

/**
 * Execute `action` (which must be `executing`, its intent durable) through
 * `runner` and commit completed/failed. When the outcome cannot be recorded
 * the action stays `executing` and answers `outcome_unknown`: it is never run
 * again (reconciliation marks it unknown).
 */
export async function executeAction(
  deps: ExecDeps,
  action: ActionRecord,
  runner: ToolRunner,
): Promise<GovernOutcome> {
  let out: ToolOutcome;
  try {
    out = await runner.run({ action_id: action.id, tool: action.tool, args: action.args });
  } catch (e) {
    // A runner's exception may quote the tool: keep it with the detail, not the reason.
    out = {
      ok: false,
      message: "the tool runner failed",
      detail: e instanceof Error ? e.message : String(e),
    };
  }
  try {
    const rec = await deps.store.txAsync((tx) => commitOutcome(tx, action, out, deps.clock.now()));
    return outcomeOf(rec)!;
  } catch (e) {
    deps.logger.log("error", "cannot record the outcome of an executed action", {
      action_id: action.id,
      error: String(e),
    });
    deps.onUnrecorded?.(action.id, out);
    return {
      phase: "failed",
      action_id: action.id,
      kind: "outcome_unknown",
      reason: `the tool ran but its outcome could not be recorded (${
        String(e)
      }); it will not be re-run`,
    };
  }
}
