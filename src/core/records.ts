/**
 * The records the store keeps (actions, approval requests, resolutions,
 * audit events, sessions, run requests), as plain data. The state machine
 * over `ActionState` lives in action.ts. Pure types: no I/O.
 */
import type { ActionState } from "./action.ts";
import type { RejectionKind } from "./rejection-kind.ts";
import type { ApprovalRequirement, Effect } from "./policy/types.ts";

export type ActionOrigin = "hook" | "declared";

export interface ActionRecord {
  id: string;
  session_id: string;
  project: string;
  tool: string;
  /** Decoded arguments (decrypted when encryption at rest is on). */
  args: Record<string, unknown>;
  /** "sha256:HEX" of the canonical JSON of args. */
  args_digest: string;
  origin: ActionOrigin;
  correlation_id: string | null;
  idempotency_key: string | null;
  /** The face it came through when not the stdio hook or the CLI: "mcp stdio: CMD…", "mcp http: URL". */
  via: string | null;
  state: ActionState;
  effect: Effect | null;
  /** A rejection / failure kind (docs/protocol.md), when state says so. */
  kind: RejectionKind | null;
  reason: string | null;
  /** Rules that produced the decision. */
  rules: string[];
  policy_id: string | null;
  policy_version: number | null;
  request_id: string | null;
  /** Hold deadline, ms since epoch. */
  deadline: number | null;
  /** Decoded output of a completed action. */
  output: unknown;
  /**
   * Text the tool supplied about a failure (a tool_error message, stderr),
   * decoded: stored only through the payload codec, never in `reason` or an
   * event (events carry its digest and size).
   */
  detail: string | null;
  /** Session that committed the `executing` intent. */
  executor_session: string | null;
  created_at: number;
  updated_at: number;
}

export interface NewAction {
  id: string;
  session_id: string;
  project: string;
  tool: string;
  args: Record<string, unknown>;
  origin: ActionOrigin;
  correlation_id?: string | null;
  idempotency_key?: string | null;
  via?: string | null;
  at: number;
}

/** Fields a transition may set. Unset fields keep their value. */
export interface ActionPatch {
  effect?: Effect | null;
  kind?: RejectionKind | null;
  reason?: string | null;
  rules?: string[];
  policy_id?: string | null;
  policy_version?: number | null;
  request_id?: string | null;
  deadline?: number | null;
  output?: unknown;
  /** Tool-supplied failure text (bounded to TOOL_TEXT_MAX); stored through the codec. */
  detail?: string | null;
  executor_session?: string | null;
}

export type RequestState = "pending" | "approved" | "rejected" | "expired";

export interface ApprovalRequestRecord {
  id: string;
  action_id: string;
  session_id: string;
  tool: string;
  args: Record<string, unknown>;
  rules: string[];
  /** Every hold's requirement; all must be met. */
  requirements: ApprovalRequirement[];
  policy_id: string;
  policy_version: number;
  action_digest: string;
  /** The request's salt (base64), an input of action_digest; null for requests made before salts. */
  salt: string | null;
  deadline: number;
  state: RequestState;
  created_at: number;
  resolved_at: number | null;
}

export interface NewApprovalRequest {
  id: string;
  action_id: string;
  requirements: ApprovalRequirement[];
  rules: string[];
  policy_id: string;
  policy_version: number;
  action_digest: string;
  /** The salt action_digest was computed with (stored through the payload codec). */
  salt?: string | null;
  deadline: number;
  at: number;
}

export interface ResolutionRecord {
  /** Row id. */
  id: number;
  request_id: string;
  approver: string;
  decision: "approve" | "deny";
  nonce: string;
  /** The exact JSON document as received. */
  document: string;
  /** sha256 hex of `document` (for idempotent re-POST). */
  document_sha256: string;
  at: number;
}

export interface EventRecord {
  seq: number;
  /** ms since epoch. */
  at: number;
  type: string;
  action_id: string | null;
  /** Never carries arguments or outputs in clear: digests only. */
  payload: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** The highest policy a project accepted. */
export interface ProjectPolicyHead {
  policy_id: string;
  version: number;
  /** Hex sha256 of the file. */
  sha256: string;
}

/** An accepted policy file as it was verified. */
export interface PolicyDocumentRecord {
  policy_id: string;
  version: number;
  sha256: string;
  bytes: Uint8Array;
  /** The .sig file's bytes; null when accepted unsigned (allow_unsigned). */
  sig: Uint8Array | null;
}

export interface SessionRecord {
  id: string;
  project: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
  ended_at: number | null;
}

/** A CLI's request that the live gate session owning an action run it. */
export interface RunRequestRecord {
  id: string;
  action_id: string;
  session_id: string;
  created_at: number;
  claimed_at: number | null;
}
