/**
 * StoreReads over a SqlDriver: the same object serves reads outside a
 * transaction (each statement sees the latest commit, WAL snapshot) and,
 * through StoreTx, inside one.
 */
import type {
  ActionRecord,
  ApprovalRequestRecord,
  EventRecord,
  PolicyDocumentRecord,
  ProjectPolicyHead,
  RequestState,
  ResolutionRecord,
  RunRequestRecord,
  SessionRecord,
} from "../core/records.ts";
import type { SqlDriver, SqlValue } from "../app/ports/sql.ts";
import type { StoreReads } from "../app/ports/store.ts";
import type { PayloadCodec } from "./payload-codec.ts";
import { storedDigest } from "./action-writes.ts";
import {
  actionFromRow,
  EVENT_COLUMNS,
  eventsFromRows,
  requestFromRow,
  resolutionFromRow,
  runRequestFromRow,
  sessionFromRow,
} from "./rows.ts";

const REQUEST_SELECT = "SELECT r.*, a.session_id AS session_id, a.tool AS tool, a.args AS args " +
  "FROM approval_requests r JOIN actions a ON a.id = r.action_id";

/**
 * One request by id with its action's session_id, tool and args, taken by
 * scalar subqueries instead of REQUEST_SELECT's join: the same values for
 * about a third of SQLite's time (bun:sqlite 3.54 here: 12 µs against 37 µs
 * per lookup; adding the join's existence test back as EXISTS costs the
 * difference again). A request whose action row is missing (only a
 * tampered file: the foreign key forbids it) reads as absent, as with the
 * inner join: its session_id comes back NULL and getRequest returns null.
 */
const REQUEST_BY_ID = "SELECT r.*, " +
  "(SELECT session_id FROM actions WHERE id = r.action_id) AS session_id, " +
  "(SELECT tool FROM actions WHERE id = r.action_id) AS tool, " +
  "(SELECT args FROM actions WHERE id = r.action_id) AS args " +
  "FROM approval_requests r WHERE r.id = ?";

/** `LIMIT ?` value: SQLite treats a negative limit as "no limit". */
const limitOf = (n: number | undefined): number =>
  n === undefined ? -1 : Math.max(0, Math.floor(n));

export class SqlReads implements StoreReads {
  constructor(protected readonly db: SqlDriver, protected readonly codec: PayloadCodec) {}

  getAction(id: string): ActionRecord | null {
    const r = this.db.get("SELECT * FROM actions WHERE id = ?", [id]);
    return r ? actionFromRow(r, this.codec) : null;
  }

  actionReason(id: string): string | null {
    const r = this.db.get("SELECT reason FROM actions WHERE id = ?", [id]);
    return r && r.reason !== null && r.reason !== undefined ? String(r.reason) : null;
  }

  findActionByIdempotencyKey(key: string): ActionRecord | null {
    const r = this.db.get("SELECT * FROM actions WHERE idempotency_key = ?", [key]);
    return r ? actionFromRow(r, this.codec) : null;
  }

  argsDigest(args: Record<string, unknown>): string {
    return storedDigest(this.codec, args);
  }

  findHeldRepeat(
    q: { tool: string; args: Record<string, unknown>; via: string },
  ): ActionRecord | null {
    // The digest as the store records it (keyed when encryption at rest is on).
    const args_digest = storedDigest(this.codec, q.args);
    const r = this.db.get(
      "SELECT * FROM actions WHERE args_digest = ? AND tool = ? AND request_id IS NOT NULL " +
        "AND via = ? ORDER BY created_at DESC, id DESC LIMIT 1",
      [args_digest, q.tool, q.via],
    );
    return r ? actionFromRow(r, this.codec) : null;
  }

  getRequest(id: string): ApprovalRequestRecord | null {
    const r = this.db.get(REQUEST_BY_ID, [id]);
    return r && r.session_id !== null && r.session_id !== undefined
      ? requestFromRow(r, this.codec)
      : null;
  }

  listRequests(
    q: { state?: RequestState; limit?: number; after?: string },
  ): ApprovalRequestRecord[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.state !== undefined) {
      where.push("r.state = ?");
      params.push(q.state);
    }
    if (q.after !== undefined) {
      where.push("r.id > ?");
      params.push(q.after);
    }
    const sql = `${REQUEST_SELECT}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ` +
      "ORDER BY r.id LIMIT ?";
    params.push(limitOf(q.limit));
    return this.db.all(sql, params).map((r) => requestFromRow(r, this.codec));
  }

  listResolutions(requestId: string): ResolutionRecord[] {
    // Ordered here rather than by ORDER BY id: a request has a few rows,
    // and bun:sqlite 3.54 spends ~22 µs on the statement with the ORDER BY
    // against ~7 µs without it (the same VDBE program; the ORDER BY form
    // appears to be prepared again at every execution), on every POST and GET.
    return this.db.all("SELECT * FROM resolutions WHERE request_id = ?", [requestId])
      .map(resolutionFromRow).sort((a, b) => a.id - b.id);
  }

  nonceUsed(nonce: string): boolean {
    return this.db.get("SELECT 1 AS x FROM resolutions WHERE nonce = ?", [nonce]) !== null;
  }

  counterSum(key: string, since: number): number {
    const r = this.db.get(
      "SELECT COALESCE(SUM(amount), 0) AS s FROM counters WHERE key = ? AND at > ?",
      [key, since],
    );
    return Number(r?.s ?? 0);
  }

  counterCount(key: string, since: number): number {
    const r = this.db.get("SELECT COUNT(*) AS n FROM counters WHERE key = ? AND at > ?", [
      key,
      since,
    ]);
    return Number(r?.n ?? 0);
  }

  acceptedPolicyVersion(policyId: string): number | null {
    const r = this.db.get("SELECT version FROM policy_versions WHERE policy_id = ?", [policyId]);
    return r ? Number(r.version) : null;
  }

  acceptedPolicySha256(policyId: string): string | null {
    const r = this.db.get("SELECT sha256 FROM policy_versions WHERE policy_id = ?", [policyId]);
    return r ? String(r.sha256) : null;
  }

  acceptedProjectPolicy(project: string): ProjectPolicyHead | null {
    const r = this.db.get(
      "SELECT policy_id, version, sha256 FROM project_policy WHERE project = ?",
      [project],
    );
    return r
      ? { policy_id: String(r.policy_id), version: Number(r.version), sha256: String(r.sha256) }
      : null;
  }

  policyDocument(policyId: string, version: number): PolicyDocumentRecord | null {
    // Several files may claim one id and version (only one was ever accepted
    // as such by a verifying loader); the caller verifies whichever it gets.
    const r = this.db.get(
      "SELECT * FROM policy_documents WHERE policy_id = ? AND version = ? ORDER BY accepted_at LIMIT 1",
      [policyId, version],
    );
    if (!r) return null;
    return {
      policy_id: String(r.policy_id),
      version: Number(r.version),
      sha256: String(r.sha256),
      bytes: r.bytes instanceof Uint8Array ? r.bytes : new TextEncoder().encode(String(r.bytes)),
      sig: r.sig === null || r.sig === undefined
        ? null
        : r.sig instanceof Uint8Array
        ? r.sig
        : new TextEncoder().encode(String(r.sig)),
    };
  }

  storeId(): string {
    const r = this.db.get("SELECT value FROM meta WHERE key = 'store_id'");
    return r ? String(r.value) : "";
  }

  activePolicySha256(): string | null {
    const r = this.db.get("SELECT value FROM meta WHERE key = 'active_policy_sha256'");
    return r ? String(r.value) : null;
  }

  getSession(id: string): SessionRecord | null {
    const r = this.db.get("SELECT * FROM sessions WHERE id = ?", [id]);
    return r ? sessionFromRow(r) : null;
  }

  isToolRegistered(sessionId: string, name: string): boolean {
    return this.db.get("SELECT 1 AS x FROM session_tools WHERE session_id = ? AND name = ?", [
      sessionId,
      name,
    ]) !== null;
  }

  events(
    q: { afterSeq?: number; limit?: number; actionId?: string; types?: string[] },
  ): EventRecord[] {
    const where = ["seq > ?"];
    const params: SqlValue[] = [q.afterSeq ?? 0];
    if (q.types !== undefined) {
      if (q.types.length === 0) return [];
      where.push(`type IN (${q.types.map(() => "?").join(",")})`);
      params.push(...q.types);
    }
    const select = (clause?: string) =>
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${
        (clause ? [...where, clause] : where).join(" AND ")
      }`;
    if (q.actionId === undefined) {
      return eventsFromRows(
        this.db,
        this.db.all(`${select()} ORDER BY seq LIMIT ?`, [...params, limitOf(q.limit)]),
      );
    }
    // An action's events name it by number (schema 9 on) or by id (older
    // rows, and an id no action row has): one statement, each half on its
    // own index, merged by seq.
    return eventsFromRows(
      this.db,
      this.db.all(
        `${select("action_n = (SELECT n FROM actions WHERE id = ?)")} UNION ALL ` +
          `${select("action_id = ?")} ORDER BY seq LIMIT ?`,
        [...params, q.actionId, ...params, q.actionId, limitOf(q.limit)],
      ),
    );
  }

  eventsSince(since: number, limit?: number): EventRecord[] {
    return eventsFromRows(
      this.db,
      this.db.all(`SELECT ${EVENT_COLUMNS} FROM events WHERE at >= ? ORDER BY seq LIMIT ?`, [
        since,
        limitOf(limit),
      ]),
    );
  }

  lastEventSeq(): number {
    const r = this.db.get("SELECT MAX(seq) AS s FROM events");
    return Number(r?.s ?? 0);
  }

  pendingRunRequests(sessionId: string): RunRequestRecord[] {
    return this.db.all(
      "SELECT * FROM run_requests WHERE session_id = ? AND claimed_at IS NULL ORDER BY created_at, id",
      [sessionId],
    ).map(runRequestFromRow);
  }
}
