/**
 * StoreTx: the writes, each with its audit event, valid only while its
 * transaction is open. Event payloads carry ids, states, rules, kinds,
 * reasons and digests — never arguments or outputs.
 */
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
} from "../core/records.ts";
import type { ActionState } from "../core/action.ts";
import type { SealEvent, SqlDriver, SqlValue } from "../app/ports/sql.ts";
import type { StoreTx } from "../app/ports/store.ts";
import { eventHashOfText } from "../core/audit-chain.ts";
import { canonicalize } from "../core/canonical-json.ts";
import { WarrantError } from "../core/errors.ts";
import { type AuditHead, readHead, writeHead } from "./audit-head.ts";
import type { PayloadCodec } from "./payload-codec.ts";
import { SqlReads } from "./reads.ts";
import { hashBytes, payloadAad, PREV_HASH_NOT_STORED } from "./rows.ts";
import { storedPayload } from "./event-payload.ts";
import {
  type ActionStep,
  insertAction,
  isConstraint,
  noPayloadLeak,
  transitionAction,
  type Writer,
} from "./action-writes.ts";

/**
 * One event row: its action by number when the store holds that action
 * (action_id NULL), else the id as text (rows.ts EVENT_COLUMNS reads both).
 */
const EVENT_VALUES = "(?, ?, ?, CASE WHEN EXISTS (SELECT 1 FROM actions WHERE id = ?) THEN NULL " +
  "ELSE ? END, (SELECT n FROM actions WHERE id = ?), ?, ?, ?)";
/** One event row whose action's number the writer has. */
const EVENT_VALUES_N = "(?, ?, ?, NULL, ?, ?, ?, ?)";

/**
 * A payload and the canonical text stored and hashed for it: the hash
 * covers exactly the bytes stored. A payload canonical JSON takes as is
 * (the usual case) is encoded once; one it refuses (an undefined field, a
 * Date) is first normalised through JSON, as JSON.stringify would write it.
 */
function canonicalPayload(
  p: Record<string, unknown> | undefined,
): { payload: Record<string, unknown>; text: string } {
  const payload = p ?? {};
  try {
    return { payload, text: canonicalize(payload) };
  } catch {
    const normal = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
    return { payload: normal, text: canonicalize(normal) };
  }
}

/** An event to append (seq, prev_hash and hash are the chain's). */
type NewEvent = {
  type: string;
  action_id?: string | null;
  /** The action's number, when the caller just read or wrote its row (else looked up by id). */
  action_n?: number;
  payload?: Record<string, unknown>;
  at: number;
};

export class SqlTx extends SqlReads implements StoreTx {
  /** Events appended so far, handed to listeners after COMMIT. */
  readonly appended: EventRecord[] = [];
  /**
   * Where the server seals events (db.commitSealing: PostgreSQL), the
   * appended events still to send, one per `appended` entry: their seq and
   * hash are filled in from the COMMIT's answer.
   */
  private readonly toSeal: SealEvent[] = [];
  /**
   * The chain head, read on first use rather than at BEGIN: under the
   * writer lock it cannot move until COMMIT (writeHead runs only then).
   */
  private loaded: AuditHead | null = null;
  private open = true;
  private readonly writer: Writer = {
    db: this.db,
    codec: this.codec,
    append: (e) => this.appendEvent(e),
    appendAll: (list) => this.appendEvents(list),
  };

  constructor(db: SqlDriver, codec: PayloadCodec) {
    super(db, codec);
  }

  private get head(): AuditHead {
    return this.loaded ??= readHead(this.db);
  }

  private set head(h: AuditHead) {
    this.loaded = h;
  }

  /** A point to rewind the in-memory state to (with SQL `ROLLBACK TO` a savepoint). */
  mark(): { appended: number; head: AuditHead | null } {
    return { appended: this.appended.length, head: this.loaded };
  }

  /** Forget the events appended since `m` (their rows were rolled back to a savepoint). */
  rewind(m: { appended: number; head: AuditHead | null }): void {
    this.appended.length = m.appended;
    if (this.toSeal.length > m.appended) this.toSeal.length = m.appended;
    this.loaded = m.head;
  }

  /**
   * End the transaction: COMMIT with the new chain head, or, where the
   * server seals events, with the events (their seq and hash, and so the
   * records handed to listeners, are complete once it returns).
   */
  commit(): void {
    const seal = this.db.commitSealing;
    if (!seal || this.toSeal.length === 0) {
      if (this.appended.length > 0) writeHead(this.db, this.head);
      this.db.exec("COMMIT");
      return;
    }
    const sealed = seal(this.toSeal);
    let prev = sealed.from.hash;
    sealed.events.forEach((s, i) => {
      const rec = this.appended[i]!;
      rec.seq = s.seq;
      rec.prev_hash = prev;
      rec.hash = s.hash;
      prev = s.hash;
    });
  }

  /** Called by the store when the transaction ends; later calls throw. */
  close(): void {
    this.open = false;
  }

  private live(): void {
    if (!this.open) {
      throw new WarrantError("internal_error", "StoreTx used after its transaction ended");
    }
  }

  appendEvent(e: NewEvent): EventRecord {
    return this.appendEvents([e])[0]!;
  }

  /**
   * Append `list` in order with ONE insert: the same rows and chain as one
   * appendEvent each (a decision's proposed/allowed/executing events cost
   * one statement, not three).
   */
  appendEvents(list: readonly NewEvent[]): EventRecord[] {
    this.live();
    if (this.db.commitSealing) return this.appendToSeal(list);
    const recs: EventRecord[] = [];
    const params: SqlValue[] = [];
    const rows: string[] = [];
    let head = this.head;
    // SQLite keeps payloads packed (event-payload.ts); PostgreSQL keeps the text.
    const pack = this.db.name !== "postgres";
    for (const e of list) {
      const { payload, text: payloadText } = canonicalPayload(e.payload);
      const fields = {
        seq: head.seq + 1,
        at: e.at,
        type: e.type,
        action_id: e.action_id ?? null,
        payload,
        prev_hash: head.hash,
      };
      const hash = eventHashOfText(fields, payloadText);
      params.push(fields.seq, fields.at, fields.type);
      if (e.action_n !== undefined && fields.action_id !== null) {
        rows.push(EVENT_VALUES_N);
        params.push(e.action_n);
      } else {
        rows.push(EVENT_VALUES);
        // The id is kept as text only when no action has it.
        params.push(fields.action_id, fields.action_id, fields.action_id);
      }
      params.push(
        pack ? storedPayload(payload, payloadText) : payloadText,
        PREV_HASH_NOT_STORED, // the hash of the row before (rows.ts eventsFromRows)
        hashBytes(hash),
      );
      recs.push({ ...fields, hash });
      head = { seq: fields.seq, hash };
    }
    if (recs.length === 0) return recs;
    try {
      this.db.run(
        "INSERT INTO events (seq, at, type, action_id, action_n, payload, prev_hash, hash) VALUES " +
          rows.join(", "),
        params,
      );
    } catch (err) {
      if (isConstraint(err, "events")) {
        throw new WarrantError(
          "store_corrupt",
          `audit log already holds seq ${
            recs[0]!.seq
          }, beyond its recorded head ${this.head.seq}: ` +
            `rows were added outside warrant; run warrant audit verify`,
        );
      }
      throw err;
    }
    this.head = head;
    this.appended.push(...recs);
    return recs;
  }

  /**
   * appendEvents where the server seals: the canonical text around seq and
   * prev_hash now, the numbers at COMMIT (commit()). Until then the records
   * hold seq 0 and empty hashes; nothing reads them inside the transaction.
   */
  private appendToSeal(list: readonly NewEvent[]): EventRecord[] {
    const recs: EventRecord[] = [];
    for (const e of list) {
      const { payload, text } = canonicalPayload(e.payload);
      const action_id = e.action_id ?? null;
      // The keys in JCS order, as core/audit-chain.ts eventHashOfText hashes them.
      this.toSeal.push({
        at: e.at,
        type: e.type,
        action_id,
        payload: text,
        pre: `{"action_id":${canonicalize(action_id)},"at":${
          canonicalize(e.at)
        },"payload":${text},"prev_hash":"`,
        post: `,"type":${canonicalize(e.type)}}`,
      });
      recs.push({ seq: 0, at: e.at, type: e.type, action_id, payload, prev_hash: "", hash: "" });
    }
    this.appended.push(...recs);
    return recs;
  }

  insertAction(a: NewAction, then?: readonly ActionStep[]): ActionRecord {
    this.live();
    return insertAction(this.writer, a, then);
  }

  transition(
    action: string | ActionRecord,
    from: ActionState[],
    to: ActionState,
    patch: ActionPatch,
    at: number,
    payload?: Record<string, unknown>,
  ): ActionRecord {
    this.live();
    return transitionAction(this.writer, action, from, to, patch, at, payload);
  }

  insertRequest(r: NewApprovalRequest): ApprovalRequestRecord {
    this.live();
    this.db.run(
      "INSERT INTO approval_requests (id, action_id, requirements, rules, policy_id, policy_version, " +
        "action_digest, salt, deadline, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
      [
        r.id,
        r.action_id,
        JSON.stringify(r.requirements),
        JSON.stringify(r.rules),
        r.policy_id,
        r.policy_version,
        r.action_digest,
        r.salt ? this.codec.encode(r.salt, payloadAad("approval_requests", r.id, "salt")) : null,
        r.deadline,
        r.at,
      ],
    );
    this.appendEvent({
      type: "request.created",
      action_id: r.action_id,
      payload: {
        request_id: r.id,
        rules: r.rules,
        requirements: r.requirements,
        policy_id: r.policy_id,
        policy_version: r.policy_version,
        action_digest: r.action_digest,
        deadline: r.deadline,
      },
      at: r.at,
    });
    const rec = this.getRequest(r.id);
    if (!rec) {
      throw new WarrantError("not_found", `request ${r.id}: action ${r.action_id} not found`);
    }
    return rec;
  }

  resolveRequest(
    id: string,
    state: Exclude<RequestState, "pending">,
    at: number,
    payload?: Record<string, unknown>,
  ): void {
    this.live();
    noPayloadLeak(payload, `request.${state}`);
    const row = this.db.get(
      "UPDATE approval_requests SET state = ?, resolved_at = ? WHERE id = ? AND state = 'pending' " +
        "RETURNING action_id",
      [state, at, id],
    );
    if (!row) {
      const cur = this.db.get("SELECT state FROM approval_requests WHERE id = ?", [id]);
      if (!cur) throw new WarrantError("request_not_found", `no approval request ${id}`);
      throw new WarrantError(
        "request_closed",
        `approval request ${id} is already ${String(cur.state)}; cannot mark it ${state}`,
      );
    }
    this.appendEvent({
      type: `request.${state}`,
      action_id: String(row.action_id),
      payload: { request_id: id, ...payload },
      at,
    });
  }

  insertResolution(r: Omit<ResolutionRecord, "id">, actionId?: string): ResolutionRecord {
    this.live();
    if (actionId === undefined) {
      const req = this.db.get("SELECT action_id FROM approval_requests WHERE id = ?", [
        r.request_id,
      ]);
      if (!req) throw new WarrantError("request_not_found", `no approval request ${r.request_id}`);
      actionId = String(req.action_id);
    }
    let id: number;
    try {
      id = this.db.run(
        "INSERT INTO resolutions (request_id, approver, decision, nonce, document, document_sha256, at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [r.request_id, r.approver, r.decision, r.nonce, r.document, r.document_sha256, r.at],
      ).lastInsertRowid;
    } catch (err) {
      if (isConstraint(err, "nonce")) {
        throw new WarrantError("nonce_reused", `resolution nonce ${r.nonce} was already used`);
      }
      throw err;
    }
    this.appendEvent({
      type: "resolution.accepted",
      action_id: actionId,
      payload: {
        request_id: r.request_id,
        approver: r.approver,
        decision: r.decision,
        nonce: r.nonce,
        document_sha256: r.document_sha256,
      },
      at: r.at,
    });
    return { id, ...r };
  }

  addCounter(key: string, amount: number, at: number, actionId: string): void {
    this.live();
    if (!Number.isFinite(amount)) {
      throw new WarrantError(
        "invalid_argument",
        `counter ${key}: amount must be finite, got ${amount}`,
      );
    }
    this.db.run("INSERT INTO counters (key, at, amount, action_id) VALUES (?, ?, ?, ?)", [
      key,
      at,
      amount,
      actionId,
    ]);
    this.appendEvent({ type: "counter.added", action_id: actionId, payload: { key, amount }, at });
  }

  acceptPolicyVersion(policyId: string, version: number, sha256: string, at: number): void {
    this.live();
    const prev = this.acceptedPolicyVersion(policyId);
    if (prev !== null && version <= prev) return;
    this.db.run(
      "INSERT INTO policy_versions (policy_id, version, sha256, accepted_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (policy_id) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, " +
        "accepted_at = excluded.accepted_at WHERE excluded.version > policy_versions.version",
      [policyId, version, sha256, at],
    );
    this.appendEvent({
      type: "policy.accepted",
      payload: { policy_id: policyId, version, sha256, previous_version: prev },
      at,
    });
  }

  acceptProjectPolicy(project: string, head: ProjectPolicyHead, at: number): void {
    this.live();
    const prev = this.acceptedProjectPolicy(project);
    if (prev !== null && head.version <= prev.version) return;
    this.db.run(
      "INSERT INTO project_policy (project, policy_id, version, sha256, accepted_at) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (project) DO UPDATE SET policy_id = excluded.policy_id, version = excluded.version, " +
        "sha256 = excluded.sha256, accepted_at = excluded.accepted_at " +
        "WHERE excluded.version > project_policy.version",
      [project, head.policy_id, head.version, head.sha256, at],
    );
    this.appendEvent({
      type: "policy.project_head",
      payload: {
        project,
        policy_id: head.policy_id,
        version: head.version,
        sha256: head.sha256,
        previous: prev,
      },
      at,
    });
  }

  savePolicyDocument(d: PolicyDocumentRecord & { at: number }): void {
    this.live();
    this.db.run(
      "INSERT OR IGNORE INTO policy_documents (sha256, policy_id, version, bytes, sig, accepted_at) " +
        "VALUES (?, ?, ?, ?, ?, ?)",
      [d.sha256, d.policy_id, d.version, d.bytes, d.sig, d.at],
    );
  }

  setActivePolicySha256(sha256: string): void {
    this.live();
    this.db.run(
      "INSERT INTO meta (key, value) VALUES ('active_policy_sha256', ?) " +
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [sha256],
    );
  }

  openSession(s: { id: string; project: string; pid: number; at: number }): void {
    this.live();
    this.db.run(
      "INSERT INTO sessions (id, project, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)",
      [s.id, s.project, s.pid, s.at, s.at],
    );
    this.appendEvent({
      type: "session.opened",
      payload: { session_id: s.id, project: s.project, pid: s.pid },
      at: s.at,
    });
  }

  /** No event: heartbeats are liveness, not history. */
  heartbeat(sessionId: string, at: number): void {
    this.live();
    this.db.run("UPDATE sessions SET heartbeat_at = ? WHERE id = ? AND heartbeat_at < ?", [
      at,
      sessionId,
      at,
    ]);
  }

  endSession(sessionId: string, at: number): void {
    this.live();
    this.endSessionWith(sessionId, at, "shutdown");
  }

  /** End an open session (no-op when already ended); returns whether it changed. */
  endSessionWith(sessionId: string, at: number, reason: string): boolean {
    this.live();
    const n = this.db.run("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", [
      at,
      sessionId,
    ]).changes;
    if (n === 0) return false;
    this.appendEvent({ type: "session.ended", payload: { session_id: sessionId, reason }, at });
    return true;
  }

  registerTool(sessionId: string, name: string, at: number): void {
    this.live();
    const n = this.db.run(
      "INSERT OR IGNORE INTO session_tools (session_id, name, at) VALUES (?, ?, ?)",
      [sessionId, name, at],
    ).changes;
    if (n > 0) {
      this.appendEvent({ type: "tool.registered", payload: { session_id: sessionId, name }, at });
    }
  }

  insertRunRequest(r: { id: string; action_id: string; session_id: string; at: number }): void {
    this.live();
    this.db.run(
      "INSERT INTO run_requests (id, action_id, session_id, created_at) VALUES (?, ?, ?, ?)",
      [r.id, r.action_id, r.session_id, r.at],
    );
    this.appendEvent({
      type: "run.requested",
      action_id: r.action_id,
      payload: { run_request_id: r.id, session_id: r.session_id },
      at: r.at,
    });
  }

  claimRunRequest(id: string, at: number): boolean {
    this.live();
    const row = this.db.get(
      "UPDATE run_requests SET claimed_at = ? WHERE id = ? AND claimed_at IS NULL RETURNING action_id, session_id",
      [at, id],
    );
    if (!row) return false;
    this.appendEvent({
      type: "run.claimed",
      action_id: String(row.action_id),
      payload: { run_request_id: id, session_id: String(row.session_id) },
      at,
    });
    return true;
  }
}
