/**
 * The action state machine (SPEC §8), as data: one table of legal edges.
 *
 *   proposed → denied | allowed | held
 *   held     → approved | rejected | expired
 *   approved → rejected            (re-evaluation before execution denies)
 *   allowed | approved → executing → completed | failed | unknown
 *
 * `executing` is the committed intent to run the body; it never goes back,
 * which is what makes execution at-most-once. Pure: no I/O.
 */
import { WarrantError } from "./errors.ts";

/** Every action state: the one definition (records.ts and the Store port use it). */
export const ACTION_STATES = [
  "proposed",
  "denied",
  "allowed",
  "held",
  "approved",
  "rejected",
  "expired",
  "executing",
  "completed",
  "failed",
  "unknown",
] as const;

export type ActionState = typeof ACTION_STATES[number];

/** The legal edges: `TRANSITIONS[from]` lists every state `from` may move to. */
export const TRANSITIONS: Readonly<Record<ActionState, readonly ActionState[]>> = {
  proposed: ["denied", "allowed", "held"],
  held: ["approved", "rejected", "expired"],
  approved: ["executing", "rejected"],
  allowed: ["executing"],
  executing: ["completed", "failed", "unknown"],
  denied: [],
  rejected: [],
  expired: [],
  completed: [],
  failed: [],
  unknown: [],
};

/** True when `s` is one of the action states. */
export function isActionState(s: unknown): s is ActionState {
  return typeof s === "string" && (ACTION_STATES as readonly string[]).includes(s);
}

/**
 * True when `from → to` is an edge of the state machine.
 *
 * @example canTransition("allowed", "executing") // → true
 * @example canTransition("executing", "allowed") // → false
 */
export function canTransition(from: ActionState, to: ActionState): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/**
 * Throw WarrantError("illegal_transition") unless `from → to` is legal.
 *
 * @example assertTransition("completed", "executing")
 *   // throws: illegal transition completed → executing; completed is terminal
 */
export function assertTransition(from: ActionState, to: ActionState): void {
  if (canTransition(from, to)) return;
  const legal = TRANSITIONS[from] ?? [];
  const why = legal.length === 0
    ? `${from} is terminal`
    : `from ${from} only ${legal.join(", ")} ${legal.length === 1 ? "is" : "are"} legal`;
  throw new WarrantError("illegal_transition", `illegal transition ${from} → ${to}; ${why}`, {
    from,
    to,
  });
}

/** True for states with no outgoing edge (the outcome is final). */
export function isTerminal(state: ActionState): boolean {
  return TRANSITIONS[state].length === 0;
}
