/**
 * The gate's stdio protocol (shared/protocol.md) as TypeScript types: every
 * message in both directions. Types only — the gate server validates inbound
 * messages with its own strict schemas; the client trusts the gate's replies.
 *
 * Two id spaces: request ids are chosen by the hook (`register_tool`,
 * `govern`, `resume`) and echoed on the reply; callback ids are chosen by the
 * gate (`run_tool`) and echoed on `tool_result` / `tool_error`.
 */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Outcome phase of a `govern` or `resume`. */
export type Phase = "completed" | "pending_approval" | "rejected" | "failed";

/** Kinds shared with the reference implementation. */
export type ReferenceKind =
  | "policy_denied"
  | "approval_denied"
  | "approval_timeout"
  | "unregistered_tool"
  | "unknown_action"
  | "precondition_failed"
  | "approval_required"
  | "execution_failed"
  | "internal_error";

/** Kinds warrant adds. */
export type WarrantKind =
  | "budget_exhausted"
  | "rate_limited"
  | "lease_expired"
  | "execution_timeout"
  | "outcome_unknown";

/** The class of a rejection or failure. */
export type RejectionKind = ReferenceKind | WarrantKind;

/** Every kind, as a runtime list (for exhaustive tables and validation). */
export const REJECTION_KINDS: readonly RejectionKind[] = [
  "policy_denied",
  "approval_denied",
  "approval_timeout",
  "unregistered_tool",
  "unknown_action",
  "precondition_failed",
  "approval_required",
  "execution_failed",
  "internal_error",
  "budget_exhausted",
  "rate_limited",
  "lease_expired",
  "execution_timeout",
  "outcome_unknown",
];

/** An untrusted document a tool surfaced (page, file). */
export interface ToolDocument {
  text: string;
  source?: string;
}

// ── hook → gate ────────────────────────────────────────────────────────────

export interface RegisterToolMessage {
  type: "register_tool";
  id: number;
  name: string;
}

export interface GovernMessage {
  type: "govern";
  id: number;
  tool: string;
  args?: Record<string, unknown>;
  correlation_id?: string;
}

export interface ResumeMessage {
  type: "resume";
  id: number;
  action_id: string;
  request_id: string;
  wait_ms?: number;
}

export interface ToolResultMessage {
  type: "tool_result";
  /** The callback id of the `run_tool`. */
  id: number;
  output: unknown;
  documents?: ToolDocument[];
}

export interface ToolErrorMessage {
  type: "tool_error";
  /** The callback id of the `run_tool`. */
  id: number;
  message: string;
}

export interface ShutdownMessage {
  type: "shutdown";
}

/** Every message a hook sends. */
export type HookMessage =
  | RegisterToolMessage
  | GovernMessage
  | ResumeMessage
  | ToolResultMessage
  | ToolErrorMessage
  | ShutdownMessage;

// ── gate → hook ────────────────────────────────────────────────────────────

export interface ReadyMessage {
  type: "ready";
  session_id: string;
  project_id: string;
  /** Extra fields (e.g. the store path) are allowed. */
  [extra: string]: unknown;
}

export interface RegisteredMessage {
  type: "registered";
  id: number;
  name: string;
  /** 0 = always allowed … 4 = always held for approval. */
  required_level: number;
}

interface GovernResultBase {
  type: "govern_result";
  id: number;
  action_id: string;
  correlation_id?: string;
}

export interface GovernCompleted extends GovernResultBase {
  phase: "completed";
  output: unknown;
}

export interface GovernPending extends GovernResultBase {
  phase: "pending_approval";
  request_id: string;
  /** ISO 8601. */
  deadline: string;
}

export interface GovernRejected extends GovernResultBase {
  phase: "rejected";
  reason: string;
  kind: RejectionKind;
}

export interface GovernFailed extends GovernResultBase {
  phase: "failed";
  reason: string;
  kind: RejectionKind;
}

/** The outcome of `govern` or `resume`, discriminated by `phase`. */
export type GovernResultMessage = GovernCompleted | GovernPending | GovernRejected | GovernFailed;

export interface RunToolMessage {
  type: "run_tool";
  /** Callback id, chosen by the gate. */
  id: number;
  tool: string;
  args: Record<string, unknown>;
  action_id: string;
}

export interface ErrorMessage {
  type: "error";
  id?: number;
  message: string;
}

/** Every message a gate sends. */
export type GateMessage =
  | ReadyMessage
  | RegisteredMessage
  | GovernResultMessage
  | RunToolMessage
  | ErrorMessage;
