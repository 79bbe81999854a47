/**
 * The action writes: insert (state "proposed") and the compare-and-set
 * transition, each with its audit event. Split from writes.ts to keep one
 * concept per file.
 */
import type { ActionPatch, ActionRecord, EventRecord, NewAction } from "../core/records.ts";
import type { ActionState } from "../core/action.ts";
import type { SqlDriver, SqlRow, SqlValue } from "../app/ports/sql.ts";
import { assertTransition } from "../core/action.ts";
import { jsonDigest, sha256Hex } from "../core/digest.ts";
import { WarrantError } from "../core/errors.ts";
import type { PayloadCodec } from "./payload-codec.ts";
import { actionFromRow, payloadAad } from "./rows.ts";

/** What the action writes need from the open transaction. */
export interface Writer {
  db: SqlDriver;
  codec: PayloadCodec;
  append(e: ActionEvent): EventRecord;
  /** Several events, in order, in one statement. */
  appendAll(list: ActionEvent[]): EventRecord[];
}

/** An action's event; `action_n`, the action's number when the writer has it (else looked up). */
export interface ActionEvent {
  type: string;
  action_id: string;
  action_n?: number;
  payload: Record<string, unknown>;
  at: number;
}

/** actions.n of a row read back (a number; PostgreSQL's int8 comes back as a number too). */
const numberOf = (v: SqlValue | undefined): number | undefined =>
  typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : undefined;

/**
 * A new action's number on PostgreSQL (actions.n, schema 9): the dialect
 * turns this into the sequence's nextval (postgres/dialect.ts). SQLite
 * assigns n itself: from schema 10 on it is the actions table's rowid.
 */
export const NEXT_ACTION_N = "(SELECT COALESCE(MAX(n), 0) + 1 FROM actions)";

/** Patch fields stored as plain columns (output and rules are encoded). */
const PLAIN_PATCH = [
  "effect",
  "kind",
  "reason",
  "policy_id",
  "policy_version",
  "request_id",
  "deadline",
  "executor_session",
] as const;

export const isConstraint = (e: unknown, what: string): boolean =>
  e instanceof Error && /constraint/i.test(e.message) && e.message.includes(what);

/**
 * The most characters of tool-supplied text (a tool_error message, stderr)
 * kept with an action: enough to diagnose a failure, small enough that a
 * chatty tool cannot grow the store. Longer text keeps its head and tail.
 */
export const TOOL_TEXT_MAX = 4096;

const utf8 = new TextEncoder();

/** Cut `text` to TOOL_TEXT_MAX characters (head … tail), marking the cut. */
export function boundToolText(text: string): string {
  if (text.length <= TOOL_TEXT_MAX) return text;
  const half = Math.floor((TOOL_TEXT_MAX - 40) / 2);
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters cut] …\n${
    text.slice(-half)
  }`;
}

/** Throw when an event payload would carry arguments or outputs in clear. */
export function noPayloadLeak(payload: Record<string, unknown> | undefined, type: string): void {
  if (payload && ("args" in payload || "output" in payload || "detail" in payload)) {
    throw new WarrantError(
      "invalid_argument",
      `event ${type}: payloads carry digests, never "args" or "output" in clear`,
    );
  }
}

/** "sha256:HEX" of the canonical JSON (of its JSON round-trip when not canonicalisable as is). */
export function digestOf(value: unknown): string {
  try {
    return jsonDigest(value);
  } catch {
    // Not representable as RFC 8785 JSON (e.g. a lone surrogate in a tool's
    // output): digest the well-formed JSON text instead, under its own prefix,
    // so recording an outcome never fails after the body ran.
    return `sha256-json:${sha256Hex(JSON.stringify(value ?? null))}`;
  }
}

/** The digest the store records: keyed (HMAC) when the codec carries a digest key. */
export function storedDigest(codec: PayloadCodec, value: unknown): string {
  if (!codec.digest) return digestOf(value);
  try {
    return codec.digest(value);
  } catch {
    // Not canonicalisable (a lone surrogate): key the JSON text, as digestOf does.
    return codec.digest(JSON.stringify(value ?? null)).replace("hmac-sha256:", "hmac-sha256-json:");
  }
}

/** One transition applied as the action is inserted (see insertAction). */
export interface ActionStep {
  to: ActionState;
  patch: ActionPatch;
  payload?: Record<string, unknown>;
}

/**
 * Insert an action in state "proposed" + event "action.proposed", then the
 * transitions `then` (each checked against the state machine, each with its
 * "action.<to>" event exactly as transition() would write it), as ONE row
 * write in the final state: a decision and its intent cost one INSERT, not
 * an INSERT and an UPDATE per step. Output and detail are not accepted as
 * steps (they come later, from a run).
 */
export function insertAction(
  w: Writer,
  a: NewAction,
  then: readonly ActionStep[] = [],
): ActionRecord {
  const args_digest = storedDigest(w.codec, a.args);
  const argsBlob = w.codec.encode(a.args, payloadAad("actions", a.id, "args"));
  let state: ActionState = "proposed";
  const cols: Record<string, unknown> = {};
  const events: Array<{ to: ActionState; payload: Record<string, unknown> }> = [];
  for (const step of then) {
    assertTransition(state, step.to);
    if (step.patch.output !== undefined || step.patch.detail !== undefined) {
      throw new WarrantError(
        "invalid_argument",
        `insertAction of ${a.id}: a step to ${step.to} cannot carry output or detail`,
      );
    }
    noPayloadLeak(step.payload, `action.${step.to}`);
    const summary: Record<string, unknown> = { from: state };
    for (const k of PLAIN_PATCH) {
      const v = step.patch[k];
      if (v === undefined) continue;
      cols[k] = v;
      summary[k] = v;
    }
    if (step.patch.rules !== undefined) {
      cols.rules = step.patch.rules;
      summary.rules = step.patch.rules;
    }
    events.push({ to: step.to, payload: { ...summary, ...step.payload } });
    state = step.to;
  }
  const val = (k: string): SqlValue => (cols[k] ?? null) as SqlValue;
  const rules = (cols.rules as string[] | undefined) ?? [];
  // SQLite numbers the row itself (n is its rowid, schema 10) and hands the
  // number back for the events (no lookup per event); PostgreSQL's insert
  // is pipelined, answered by nobody, and its events look the number up.
  const sqlite = w.db.name !== "postgres";
  let n: number | undefined;
  try {
    const sql = "INSERT INTO actions (id, session_id, project, tool, args, args_digest, origin, " +
      "correlation_id, idempotency_key, via, state, rules, effect, kind, reason, policy_id, " +
      "policy_version, request_id, deadline, executor_session, created_at, updated_at" +
      (sqlite
        ? ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        : `, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${NEXT_ACTION_N})`);
    const params: SqlValue[] = [
      a.id,
      a.session_id,
      a.project,
      a.tool,
      argsBlob,
      args_digest,
      a.origin,
      a.correlation_id ?? null,
      a.idempotency_key ?? null,
      a.via ?? null,
      state,
      JSON.stringify(rules),
      val("effect"),
      val("kind"),
      val("reason"),
      val("policy_id"),
      val("policy_version"),
      val("request_id"),
      val("deadline"),
      val("executor_session"),
      a.at,
      a.at,
    ];
    const r = w.db.run(sql, params);
    if (sqlite) n = r.lastInsertRowid;
  } catch (err) {
    if (isConstraint(err, "idempotency_key")) {
      throw new WarrantError(
        "invalid_argument",
        `idempotency key ${JSON.stringify(a.idempotency_key)} is already used by another action; ` +
          `look it up with findActionByIdempotencyKey first`,
      );
    }
    throw err;
  }
  const payload: Record<string, unknown> = {
    session_id: a.session_id,
    tool: a.tool,
    origin: a.origin,
    args_digest,
  };
  if (a.correlation_id != null) payload.correlation_id = a.correlation_id;
  if (a.idempotency_key != null) payload.idempotency_key = a.idempotency_key;
  if (a.via != null) payload.via = a.via;
  const ref = n === undefined ? { action_id: a.id } : { action_id: a.id, action_n: n };
  w.appendAll([
    { type: "action.proposed", ...ref, payload, at: a.at },
    ...events.map((e) => ({ type: `action.${e.to}`, ...ref, payload: e.payload, at: a.at })),
  ]);
  const rec: ActionRecord = {
    id: a.id,
    session_id: a.session_id,
    project: a.project,
    tool: a.tool,
    args: a.args,
    args_digest,
    origin: a.origin,
    correlation_id: a.correlation_id ?? null,
    idempotency_key: a.idempotency_key ?? null,
    via: a.via ?? null,
    state,
    effect: (cols.effect ?? null) as ActionRecord["effect"],
    kind: (cols.kind ?? null) as ActionRecord["kind"],
    reason: (cols.reason ?? null) as string | null,
    rules: [...rules],
    policy_id: (cols.policy_id ?? null) as string | null,
    policy_version: (cols.policy_version ?? null) as number | null,
    request_id: (cols.request_id ?? null) as string | null,
    deadline: (cols.deadline ?? null) as number | null,
    output: null,
    detail: null,
    executor_session: (cols.executor_session ?? null) as string | null,
    created_at: a.at,
    updated_at: a.at,
  };
  if (n !== undefined) NUMBERS.set(rec, n);
  return rec;
}

/**
 * The row number (actions.n) of records this module built from a write
 * that returned it: a transition of such a record needs nothing back from
 * its UPDATE but the count of rows it changed (issue 12). Records read from
 * the store, and every PostgreSQL record, are not here: their UPDATE
 * returns the number.
 */
const NUMBERS = new WeakMap<ActionRecord, number>();

/**
 * Compare-and-set transition + event "action.<to>". Throws
 * illegal_transition (edge not in the state machine, or current state not in
 * `from`), not_found (no such action).
 *
 * `action` is the action's id, or its record as this store last returned it
 * (insertAction, transitionAction). With a record whose state is the one
 * source state, only the row's number is read back and the record returned
 * is that record with the patch applied: the compare-and-set proves the row
 * is still in that state, and since the state machine has no cycles
 * (core/action.ts) a row in the state it was in then has not moved since,
 * and only a transition changes what a row holds (key rotation re-encrypts
 * the same values). That spares an outcome the read back and decoding of
 * the whole row, arguments included (issue 12). Otherwise the updated row
 * is read back (RETURNING *) and decoded.
 */
export function transitionAction(
  w: Writer,
  action: string | ActionRecord,
  from: ActionState[],
  to: ActionState,
  patch: ActionPatch,
  at: number,
  payload?: Record<string, unknown>,
): ActionRecord {
  const known = typeof action === "string" ? null : action;
  const id = typeof action === "string" ? action : action.id;
  noPayloadLeak(payload, `action.${to}`);
  if (from.length === 0) {
    throw new WarrantError(
      "illegal_transition",
      `transition of ${id} to ${to} lists no source state`,
    );
  }
  for (const f of from) assertTransition(f, to);
  /** The state the row is in (or null when there is no such action). */
  const stateNow = (): ActionState | null => {
    const cur = w.db.get("SELECT state FROM actions WHERE id = ?", [id]);
    return cur ? String(cur.state) as ActionState : null;
  };
  /** not_found, or illegal_transition naming the state the row is in. */
  const refusal = (current: ActionState | null) =>
    current === null ? new WarrantError("not_found", `no action ${id}`) : new WarrantError(
      "illegal_transition",
      `action ${id} is ${current}; moving it to ${to} needs one of ${from.join(", ")}`,
      { action_id: id, current, from, to },
    );
  // With one source state the compare-and-set UPDATE below is the whole
  // check (and `from` is that state); with several, the row is read first
  // to record which one it left.
  const current: ActionState | null = from.length === 1 ? from[0]! : stateNow();
  if (current === null || !from.includes(current)) throw refusal(current);

  const sets = ["state = ?", "updated_at = ?"];
  const params: SqlValue[] = [to, at];
  const summary: Record<string, unknown> = { from: current };
  for (const k of PLAIN_PATCH) {
    const v = patch[k];
    if (v === undefined) continue;
    sets.push(`${k} = ?`);
    params.push(v);
    summary[k] = v;
  }
  if (patch.rules !== undefined) {
    sets.push("rules = ?");
    params.push(JSON.stringify(patch.rules));
    summary.rules = patch.rules;
  }
  const detail = patch.detail == null ? null : boundToolText(patch.detail);
  if (patch.detail !== undefined) {
    sets.push("detail = ?");
    params.push(
      detail === null ? null : w.codec.encode(detail, payloadAad("actions", id, "detail")),
    );
    if (detail !== null) {
      summary.detail_digest = storedDigest(w.codec, detail);
      summary.detail_bytes = utf8.encode(detail).length;
    }
  }
  if (patch.output !== undefined) {
    sets.push("output = ?");
    params.push(w.codec.encode(patch.output, payloadAad("actions", id, "output")));
    summary.output_digest = storedDigest(w.codec, patch.output);
  }
  params.push(id, ...from);
  const narrow = known !== null && from.length === 1 && known.state === from[0];
  // Compare-and-set: the row moves only if it is still in a source state.
  const cas = `UPDATE actions SET ${sets.join(", ")} WHERE id = ? AND state IN (${
    from.map(() => "?").join(",")
  })`;
  const knownN = narrow ? NUMBERS.get(known) : undefined;
  let row: SqlRow | null = null;
  let n: number | undefined;
  if (knownN !== undefined) {
    // The number is known: the count of changed rows (0 or 1: id is unique) is the whole answer.
    if (w.db.run(cas, params).changes !== 1) throw refusal(stateNow());
    n = knownN;
  } else {
    row = w.db.get(`${cas} RETURNING ${narrow ? "n" : "*"}`, params);
    if (!row) throw refusal(stateNow());
    n = numberOf(row.n);
  }
  w.append({
    type: `action.${to}`,
    action_id: id,
    ...(n === undefined ? {} : { action_n: n }),
    payload: { ...summary, ...payload },
    at,
  });
  if (!narrow) return actionFromRow(row!, w.codec);
  const next = patched(known, to, patch, detail, at);
  if (n !== undefined && w.db.name !== "postgres") NUMBERS.set(next, n);
  return next;
}

/** `a` moved to `to` with `patch` applied, as the row now holds it (transitionAction). */
function patched(
  a: ActionRecord,
  to: ActionState,
  patch: ActionPatch,
  detail: string | null,
  at: number,
): ActionRecord {
  const r: ActionRecord = { ...a, rules: [...a.rules], state: to, updated_at: at };
  const plain = r as unknown as Record<string, unknown>;
  for (const k of PLAIN_PATCH) if (patch[k] !== undefined) plain[k] = patch[k];
  if (patch.rules !== undefined) r.rules = [...patch.rules];
  if (patch.detail !== undefined) r.detail = detail;
  if (patch.output !== undefined) r.output = patch.output;
  return r;
}
