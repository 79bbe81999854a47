/**
 * The Store port: what the use cases need from durable storage. Adapters live
 * in store/ (SQLite through a SqlDriver); tests use the real ones.
 *
 * The store API is synchronous on purpose: both drivers (bun:sqlite,
 * node:sqlite) are synchronous, and a synchronous transaction cannot
 * interleave with other work on the event loop, which is what makes
 * "evaluate + record counters + record decision" atomic.
 */
import type { ActionState } from "../../core/action.ts";
import type {
  ActionPatch,
  ActionRecord,
  ApprovalRequestRecord,
  EventRecord,
  NewAction,
  NewApprovalRequest,
  PolicyDocumentRecord,
  ProjectPolicyHead,
  RequestState,
  ResolutionRecord,
  RunRequestRecord,
  SessionRecord,
} from "../../core/records.ts";

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** First bad seq, and why ("hash mismatch", "gap: expected 12, found 14", ...). */
  first_bad?: { seq: number; problem: string };
  /**
   * When the chain holds, the action, request and resolution rows are
   * cross-checked against it: those that disagree (edited states, digests,
   * arguments), at most 100.
   */
  row_problems?: Array<{ table: string; id: string; problem: string }>;
}

/** How payloads are stored (store/payload-codec.ts implements it). */
/** Progress of a key rotation: actions re-encrypted, then actions verified, of `total`. */
export type RotateProgress = (phase: "re-encrypt" | "verify", done: number, total: number) => void;

export interface DataCodec {
  readonly encrypted: boolean;
  encode(value: unknown, aad: string): Uint8Array;
  decode(blob: Uint8Array, aad: string): unknown;
}

/** Reads, available both inside and outside a transaction. */
export interface StoreReads {
  getAction(id: string): ActionRecord | null;
  /** An action's `reason` alone (null when it has none or does not exist): what a request's view shows. */
  actionReason(id: string): string | null;
  findActionByIdempotencyKey(key: string): ActionRecord | null;
  /**
   * The newest action that was held (has an approval request) for the same
   * tool, arguments (compared by the digest the store records) and face
   * (`via`): what a repeated MCP call attaches to.
   */
  findHeldRepeat(
    q: { tool: string; args: Record<string, unknown>; via: string },
  ): ActionRecord | null;
  /** The args_digest this store records for `args` (keyed when encryption is on). */
  argsDigest(args: Record<string, unknown>): string;
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
  /** sha256 hex of the policy last recorded as active (policy.loaded), or null. */
  activePolicySha256(): string | null;
  /** The highest policy accepted for `project`, whatever its policy id, or null. */
  acceptedProjectPolicy(project: string): ProjectPolicyHead | null;
  /** The stored bytes (and .sig) of an accepted policy version, or null. */
  policyDocument(policyId: string, version: number): PolicyDocumentRecord | null;
  /** This store's random id (made when the store was created). */
  storeId(): string;
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
  /**
   * Insert an action in state "proposed" + event "action.proposed"; with
   * `then`, also apply those transitions in order (each checked against the
   * state machine, each with the "action.<to>" event transition() writes)
   * as one row write in the final state. Steps carry no output or detail.
   */
  insertAction(
    a: NewAction,
    then?: readonly { to: ActionState; patch: ActionPatch; payload?: Record<string, unknown> }[],
  ): ActionRecord;
  /**
   * Move an action from one of `from` to `to`, applying `patch`, + event
   * "action.<to>" with `payload`. Throws WarrantError("illegal_transition")
   * when the current state is not in `from` or the edge is not in the state
   * machine: this is the compare-and-set that makes execution at-most-once.
   * `action`: its id, or its record as this store last returned it (from
   * insertAction or transition; then the row is not read back, only
   * updated: store/action-writes.ts transitionAction says why that is safe).
   */
  transition(
    action: string | ActionRecord,
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
  /**
   * Record an accepted resolution (uses its nonce) + event "resolution.accepted".
   * `actionId`: the request's action, when the caller read the request in this
   * transaction (the store then does not read it again); without it an
   * unknown request is request_not_found.
   */
  insertResolution(r: Omit<ResolutionRecord, "id">, actionId?: string): ResolutionRecord;
  addCounter(key: string, amount: number, at: number, actionId: string): void;
  /** Rollback protection: raise the accepted version (never lowers it). */
  acceptPolicyVersion(policyId: string, version: number, sha256: string, at: number): void;
  /** Remember the active policy's sha256 (with its policy.loaded event). */
  setActivePolicySha256(sha256: string): void;
  /** Rollback protection per project: raise the project's head (never lowers it). */
  acceptProjectPolicy(project: string, head: ProjectPolicyHead, at: number): void;
  /** Keep an accepted policy's exact bytes and .sig (idempotent). */
  savePolicyDocument(d: PolicyDocumentRecord & { at: number }): void;
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
   * other txAsync calls queued before the group is flushed: after one
   * event-loop turn, or at once (when the code that queued it yields) when
   * exactly one unit of work is in progress (`work`); each fn is isolated
   * (one that throws rolls back only its own writes). A store may roll a
   * group back when one fn throws and run the others again, so `fn` must act
   * only through `tx` and its return value. Resolves only after the COMMIT
   * is durable.
   */
  txAsync<T>(fn: (tx: StoreTx) => T): Promise<T>;
  /**
   * Mark a unit of work that will commit through txAsync (a govern) as in
   * progress; call the returned function when it ends (again: no effect).
   * While it is the only one, its commits do not wait an event-loop turn for
   * company that is not coming. (Not for HTTP requests: Bun.serve hands
   * them over one at a time, so one in progress says nothing of the others
   * waiting in the sockets, whose commits the turn gathers.)
   */
  work(): () => void;
  /**
   * Crash reconciliation: sessions whose heartbeat is older than `staleMs`
   * (or whose pid is not alive, per `isAlive`) are ended, and their
   * `executing` actions become `unknown` (kind outcome_unknown). Returns the
   * ids of the actions marked unknown.
   */
  reconcile(now: number, staleMs: number, isAlive: (pid: number) => boolean): string[];
  /**
   * Recompute the hash chain over every event. `onProgress` is called after
   * each page with the events checked so far and the total (for a progress line).
   */
  verifyAudit(onProgress?: (checked: number, total: number) => void): AuditVerifyResult;
  /**
   * Re-encrypt every stored payload under `next` in one transaction, record
   * the new key-check value and a `store.key_rotated` event, and decode every
   * payload again under `next` before committing (any failure rolls back and
   * leaves the old key in force). Returns how many actions were rewritten.
   * `onProgress` is told after each page of each phase (it may take minutes
   * on a large store).
   */
  rotateKey(next: DataCodec, at: number, onProgress?: RotateProgress): { actions: number };
  /** Called with the events of each committed transaction, in order. */
  onCommit(listener: (events: EventRecord[]) => void): void;
  /**
   * Call `listener` (on the event loop) whenever any process may have
   * committed events: PostgreSQL's LISTEN/NOTIFY. Absent where the store
   * has no such signal (SQLite: waiters poll). Returns a function that
   * stops the calls. Wake-ups carry nothing: re-read the store.
   */
  watchCommits?(listener: () => void): () => void;
  /**
   * Run `fn`'s reads on one snapshot (SQLite: one read transaction instead
   * of one per statement). Absent where every read is already cheap to
   * begin; callers then read directly. `fn` must not write or await.
   */
  snapshot?<T>(fn: () => T): T;
  /** The database file path. */
  readonly path: string;
  close(): void;
}
