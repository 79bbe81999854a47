/**
 * Row → record decoding: JSON columns parsed, BLOB payloads decoded by the
 * codec with the row identity as associated data.
 */
import { encodeHex, hexToBytesUnchecked } from "../core/base64.ts";
import type {
  ActionRecord,
  ApprovalRequestRecord,
  EventRecord,
  ResolutionRecord,
  RunRequestRecord,
  SessionRecord,
} from "../core/records.ts";
import type { SqlDriver, SqlRow, SqlValue } from "../app/ports/sql.ts";
import { GENESIS_HASH } from "../core/audit-chain.ts";
import { WarrantError } from "../core/errors.ts";
import type { PayloadCodec } from "./payload-codec.ts";
import { storedPayloadValue } from "./event-payload.ts";

/** Associated data naming a payload's row and column. */
export function payloadAad(
  table: "actions" | "approval_requests",
  id: string,
  column: "args" | "output" | "detail" | "salt",
): string {
  return `${table}:${id}:${column}`;
}

const str = (v: SqlValue | undefined): string => String(v);
const strOrNull = (v: SqlValue | undefined): string | null =>
  v === null || v === undefined ? null : String(v);
const num = (v: SqlValue | undefined): number => Number(v);
const numOrNull = (v: SqlValue | undefined): number | null =>
  v === null || v === undefined ? null : Number(v);

function json<T>(v: SqlValue | undefined, where: string): T {
  try {
    return JSON.parse(String(v)) as T;
  } catch {
    throw new WarrantError("store_corrupt", `column ${where} does not hold valid JSON`);
  }
}

function blob(v: SqlValue | undefined, where: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new WarrantError("store_corrupt", `column ${where} does not hold a BLOB`);
}

export function actionFromRow(r: SqlRow, codec: PayloadCodec): ActionRecord {
  const id = str(r.id);
  const out = r.output;
  return {
    id,
    session_id: str(r.session_id),
    project: str(r.project),
    tool: str(r.tool),
    args: codec.decode(
      blob(r.args, `actions.args of ${id}`),
      payloadAad("actions", id, "args"),
    ) as Record<
      string,
      unknown
    >,
    args_digest: str(r.args_digest),
    origin: str(r.origin) as ActionRecord["origin"],
    correlation_id: strOrNull(r.correlation_id),
    idempotency_key: strOrNull(r.idempotency_key),
    via: strOrNull(r.via ?? null),
    state: str(r.state) as ActionRecord["state"],
    effect: strOrNull(r.effect) as ActionRecord["effect"],
    kind: strOrNull(r.kind) as ActionRecord["kind"],
    reason: strOrNull(r.reason),
    rules: json<string[]>(r.rules, `actions.rules of ${id}`),
    policy_id: strOrNull(r.policy_id),
    policy_version: numOrNull(r.policy_version),
    request_id: strOrNull(r.request_id),
    deadline: numOrNull(r.deadline),
    output: out === null || out === undefined
      ? null
      : codec.decode(blob(out, `actions.output of ${id}`), payloadAad("actions", id, "output")),
    detail: r.detail === null || r.detail === undefined ? null : String(
      codec.decode(blob(r.detail, `actions.detail of ${id}`), payloadAad("actions", id, "detail")),
    ),
    executor_session: strOrNull(r.executor_session),
    created_at: num(r.created_at),
    updated_at: num(r.updated_at),
  };
}

/** Expects the request row joined with its action's session_id, tool, args. */
export function requestFromRow(r: SqlRow, codec: PayloadCodec): ApprovalRequestRecord {
  const id = str(r.id);
  const actionId = str(r.action_id);
  return {
    id,
    action_id: actionId,
    session_id: str(r.session_id),
    tool: str(r.tool),
    args: codec.decode(
      blob(r.args, `actions.args of ${actionId}`),
      payloadAad("actions", actionId, "args"),
    ) as Record<string, unknown>,
    rules: json(r.rules, `approval_requests.rules of ${id}`),
    requirements: json(r.requirements, `approval_requests.requirements of ${id}`),
    policy_id: str(r.policy_id),
    policy_version: num(r.policy_version),
    action_digest: str(r.action_digest),
    salt: r.salt === null || r.salt === undefined ? null : String(
      codec.decode(
        blob(r.salt, `approval_requests.salt of ${id}`),
        payloadAad("approval_requests", id, "salt"),
      ),
    ),
    deadline: num(r.deadline),
    state: str(r.state) as ApprovalRequestRecord["state"],
    created_at: num(r.created_at),
    resolved_at: numOrNull(r.resolved_at),
  };
}

export function resolutionFromRow(r: SqlRow): ResolutionRecord {
  return {
    id: num(r.id),
    request_id: str(r.request_id),
    approver: str(r.approver),
    decision: str(r.decision) as ResolutionRecord["decision"],
    nonce: str(r.nonce),
    document: str(r.document),
    document_sha256: str(r.document_sha256),
    at: num(r.at),
  };
}

/** Hashes are stored as 32-byte BLOBs; anything else is returned as text (and will not verify). */
function hashHex(v: SqlValue | undefined): string {
  if (!(v instanceof Uint8Array)) return String(v);
  return encodeHex(v);
}

/** Lowercase hex → bytes, for storing a hash. */
export function hashBytes(hex: string): Uint8Array {
  return hexToBytesUnchecked(hex);
}

/**
 * An event row's columns as records need them: from schema 9 on an event
 * names its action by number (action_n) and the id is read from the action
 * row; older rows, and events about an id the store holds no action for,
 * keep the id as text.
 */
export const EVENT_COLUMNS = "seq, at, type, " +
  "COALESCE(action_id, (SELECT id FROM actions WHERE n = events.action_n)) AS action_id, " +
  "payload, prev_hash, hash";

/** What an event row stores for prev_hash from schema 7 on (see eventsFromRows). */
export const PREV_HASH_NOT_STORED = new Uint8Array(0);

/** Whether a row's prev_hash column holds a link (older rows), not the empty BLOB of newer ones. */
export function prevHashStored(v: SqlValue | undefined): boolean {
  if (v === null || v === undefined) return false;
  return v instanceof Uint8Array ? v.length > 0 : String(v).length > 0;
}

/**
 * Rows of `SELECT ${EVENT_COLUMNS} FROM events … ORDER BY seq` → records. From schema 7 on
 * a row's prev_hash is not stored (an empty BLOB): it is the hash of the row
 * before, taken from the previous row of `rows` when that is seq − 1 (a
 * page of the log: one lookup per page, not per row), else looked up. A
 * stored one (older rows) is read as stored, so an edited one still fails
 * verification. No row before: the genesis link for seq 1, else "" (a gap,
 * which verification reports as such).
 */
export function eventsFromRows(db: SqlDriver, rows: readonly SqlRow[]): EventRecord[] {
  const out: EventRecord[] = [];
  let last: EventRecord | null = null;
  for (const r of rows) {
    const seq = num(r.seq);
    let prev: string;
    if (prevHashStored(r.prev_hash)) prev = hashHex(r.prev_hash);
    else if (last !== null && last.seq === seq - 1) prev = last.hash;
    else prev = hashOfSeq(db, seq - 1);
    const rec: EventRecord = {
      seq,
      at: num(r.at),
      type: str(r.type),
      action_id: strOrNull(r.action_id),
      payload: storedPayloadValue(r.payload, `events.payload of seq ${seq}`),
      prev_hash: prev,
      hash: hashHex(r.hash),
    };
    out.push(rec);
    last = rec;
  }
  return out;
}

/** The stored hash of event `seq` (the genesis hash for seq 0, "" when there is no such row). */
function hashOfSeq(db: SqlDriver, seq: number): string {
  if (seq === 0) return GENESIS_HASH;
  const r = db.get("SELECT hash FROM events WHERE seq = ?", [seq]);
  return r ? hashHex(r.hash) : "";
}

export function sessionFromRow(r: SqlRow): SessionRecord {
  return {
    id: str(r.id),
    project: str(r.project),
    pid: num(r.pid),
    started_at: num(r.started_at),
    heartbeat_at: num(r.heartbeat_at),
    ended_at: numOrNull(r.ended_at),
  };
}

export function runRequestFromRow(r: SqlRow): RunRequestRecord {
  return {
    id: str(r.id),
    action_id: str(r.action_id),
    session_id: str(r.session_id),
    created_at: num(r.created_at),
    claimed_at: numOrNull(r.claimed_at),
  };
}
