/**
 * Ports: what the use cases (gate, approvals, CLI verbs) need from the world.
 * Adapters live in store/, bus/ and platform/; tests use the real ones.
 *
 * The store API is synchronous on purpose: both drivers (bun:sqlite,
 * node:sqlite) are synchronous, and a synchronous transaction cannot
 * interleave with other work on the event loop, which is what makes
 * "evaluate + record counters + record decision" atomic.
 */
import type { ApprovalRequirement, Effect } from "../core/policy/types.ts";

// ───────────────────────────── clock, ids, logs ─────────────────────────────

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

// ───────────────────────────── SQL driver ─────────────────────────────

export type SqlValue = string | number | bigint | null | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

/** The small surface the store needs from a SQLite binding. */
export interface SqlDriver {
  /** Run one or more statements with no parameters and no results. */
  exec(sql: string): void;
  /** Run one statement; returns the number of changed rows. Statements are cached. */
  run(sql: string, params?: SqlValue[]): { changes: number; lastInsertRowid: number };
  /** First row or null. */
  get(sql: string, params?: SqlValue[]): SqlRow | null;
  /** All rows. */
  all(sql: string, params?: SqlValue[]): SqlRow[];
  close(): void;
  /** "bun:sqlite" or "node:sqlite". */
  readonly name: string;
}

/** Opens a database file (creating it) and returns a driver. */
export type SqlDriverFactory = (path: string) => SqlDriver;

// ───────────────────────────── store records ─────────────────────────────

/**
 * The action state machine (SPEC §8):
 * proposed → denied | allowed | held; held → approved | rejected | expired;
 * allowed | approved → executing → completed | failed | unknown.
 * approved → rejected is also legal (re-evaluation before execution denies:
 * precondition_failed).
 */
export type ActionState =
  | "proposed"
  | "denied"
  | "allowed"
  | "held"
  | "approved"
  | "rejected"
  | "expired"
  | "executing"
  | "completed"
  | "failed"
  | "unknown";

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
  state: ActionState;
  effect: Effect | null;
  /** A rejection / failure kind (protocol.md), when state says so. */
  kind: string | null;
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
  at: number;
}

/** Fields a transition may set. Unset fields keep their value. */
export interface ActionPatch {
  effect?: Effect | null;
  kind?: string | null;
  reason?: string | null;
  rules?: string[];
  policy_id?: string | null;
  policy_version?: number | null;
  request_id?: string | null;
  deadline?: number | null;
  output?: unknown;
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

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** First bad seq, and why ("hash mismatch", "gap: expected 12, found 14", ...). */
  first_bad?: { seq: number; problem: string };
}

// ───────────────────────────── the store ─────────────────────────────

/** Reads, available both inside and outside a transaction. */
export interface StoreReads {
  getAction(id: string): ActionRecord | null;
  findActionByIdempotencyKey(key: string): ActionRecord | null;
  getRequest(id: string): ApprovalRequestRecord | null;
  listRequests(q: {
    state?: RequestState;
    limit?: number;
    /** Return requests whose id sorts after this one (stable order: id ascending). */
    after?: string;
  }): ApprovalRequestRecord[];
  listResolutions(requestId: string): ResolutionRecord[];
  nonceUsed(nonce: string): boolean;
  /** Sum of counter amounts under `key` with at > since. */
  counterSum(key: string, since: number): number;
  /** Number of counter rows under `key` with at > since. */
  counterCount(key: string, since: number): number;
  acceptedPolicyVersion(policyId: string): number | null;
  /** sha256 hex of the file accepted at the highest version, or null. */
  acceptedPolicySha256(policyId: string): string | null;
  getSession(id: string): SessionRecord | null;
  isToolRegistered(sessionId: string, name: string): boolean;
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  events(
    q: { afterSeq?: number; limit?: number; actionId?: string; types?: string[] },
  ): EventRecord[];
  /** Events with at >= since. */
  eventsSince(since: number, limit?: number): EventRecord[];
  lastEventSeq(): number;
  /** Unclaimed run requests addressed to a session. */
  pendingRunRequests(sessionId: string): RunRequestRecord[];
}

/** Writes: only inside `Store.tx`. Each write appends its audit event(s). */
export interface StoreTx extends StoreReads {
  /** Append one audit event (hash-chained). Returns it. */
  appendEvent(
    e: { type: string; action_id?: string | null; payload?: Record<string, unknown>; at: number },
  ): EventRecord;
  /** Insert an action in state "proposed" + event "action.proposed". */
  insertAction(a: NewAction): ActionRecord;
  /**
   * Move an action from one of `from` to `to`, applying `patch`, + event
   * "action.<to>" with `payload`. Throws WarrantError("illegal_transition")
   * when the current state is not in `from` or the edge is not in the state
   * machine: this is the compare-and-set that makes execution at-most-once.
   */
  transition(
    id: string,
    from: ActionState[],
    to: ActionState,
    patch: ActionPatch,
    at: number,
    payload?: Record<string, unknown>,
  ): ActionRecord;
  insertRequest(r: NewApprovalRequest): ApprovalRequestRecord;
  /** pending → approved | rejected | expired, + event "request.<state>". */
  resolveRequest(
    id: string,
    state: Exclude<RequestState, "pending">,
    at: number,
    payload?: Record<string, unknown>,
  ): void;
  /** Record an accepted resolution (uses its nonce) + event "resolution.accepted". */
  insertResolution(r: Omit<ResolutionRecord, "id">): ResolutionRecord;
  addCounter(key: string, amount: number, at: number, actionId: string): void;
  /** Rollback protection: raise the accepted version (never lowers it). */
  acceptPolicyVersion(policyId: string, version: number, sha256: string, at: number): void;
  openSession(s: { id: string; project: string; pid: number; at: number }): void;
  heartbeat(sessionId: string, at: number): void;
  endSession(sessionId: string, at: number): void;
  registerTool(sessionId: string, name: string, at: number): void;
  insertRunRequest(r: { id: string; action_id: string; session_id: string; at: number }): void;
  claimRunRequest(id: string, at: number): boolean;
}

export interface Store extends StoreReads {
  /**
   * Run `fn` in one IMMEDIATE transaction; commit when it returns, roll back
   * when it throws (and rethrow). Events appended inside are handed to the
   * event listener only after the commit.
   */
  tx<T>(fn: (tx: StoreTx) => T): T;
  /**
   * Group commit: like `tx`, but shares one transaction (one fsync) with the
   * other txAsync calls of the same event-loop turn; each fn is isolated by
   * a savepoint. Resolves only after the COMMIT is durable.
   */
  txAsync<T>(fn: (tx: StoreTx) => T): Promise<T>;
  /**
   * Crash reconciliation: sessions whose heartbeat is older than `staleMs`
   * (or whose pid is not alive, per `isAlive`) are ended, and their
   * `executing` actions become `unknown` (kind outcome_unknown). Returns the
   * ids of the actions marked unknown.
   */
  reconcile(now: number, staleMs: number, isAlive: (pid: number) => boolean): string[];
  /** Recompute the hash chain over every event. */
  verifyAudit(): AuditVerifyResult;
  /** Called with the events of each committed transaction, in order. */
  onCommit(listener: (events: EventRecord[]) => void): void;
  /** The database file path. */
  readonly path: string;
  close(): void;
}

// ───────────────────────────── event sinks ─────────────────────────────

/** A fan-out destination. Failures are caught by the bus, never propagated. */
export interface EventSink {
  readonly name: string;
  write(events: EventRecord[]): void | Promise<void>;
  close?(): void | Promise<void>;
}

// ───────────────────────────── tool runners ─────────────────────────────

export interface ToolOutcome {
  ok: boolean;
  output?: unknown;
  /** For ok=false: a message, and whether it was a timeout. */
  message?: string;
  timed_out?: boolean;
  /** The body may or may not have run (the hook vanished mid-call): record `unknown`. */
  unknown?: boolean;
  /** Untrusted documents the tool surfaced: recorded as counts and sources, never trusted. */
  documents?: { count: number; sources: string[] };
}

// ───────────────────────────── policy versions ─────────────────────────────

/**
 * Rollback protection (SPEC §4): the highest policy version accepted per
 * policy id. The policy loader refuses an older version, and the same version
 * with different content when `acceptedSha256` is available.
 */
export interface PolicyVersionGuard {
  /** Highest accepted version of `policyId`, or null when none was. */
  accepted(policyId: string): number | null;
  /** sha256 hex of the file accepted at that highest version (optional: enables the same-version check). */
  acceptedSha256?(policyId: string): string | null;
  /** Record `version` (with the file's sha256) as accepted at `at` (ms); never lowers the version. */
  accept(policyId: string, version: number, sha256: string, at: number): void;
}
