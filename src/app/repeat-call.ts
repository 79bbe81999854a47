/**
 * An MCP client cannot `resume` a held call: it calls the tool again. So a
 * call through a face that sets `via` (the MCP proxy) first looks for the
 * newest held action with the same tool, arguments and face, and attaches
 * to it while it is still in its window: the hold's deadline plus the
 * hold's own length again, so a repeat shortly after the deadline still
 * hears the rejection instead of opening a new hold. Past the window the
 * call is proposed afresh.
 */
import type { ActionRecord } from "../core/records.ts";
import type { StoreReads } from "./ports/store.ts";

/** When a held action stops absorbing repeated calls (ms since epoch). */
export function attachWindowEnd(a: ActionRecord): number {
  const deadline = a.deadline ?? a.created_at;
  return deadline + Math.max(0, deadline - a.created_at);
}

/**
 * The held action a repeated call attaches to, or null.
 *
 * @example findAttachable(store, { tool: "fs.write_file", args, via: "mcp stdio: npx …" }, now)
 */
export function findAttachable(
  store: StoreReads,
  q: { tool: string; args: Record<string, unknown>; via: string },
  now: number,
): ActionRecord | null {
  const a = store.findHeldRepeat(q);
  if (!a || a.request_id === null) return null;
  return now < attachWindowEnd(a) ? a : null;
}
