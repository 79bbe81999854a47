/**
 * `audit verify` beyond the chain: the rows that say what may run
 * (`actions`, `approval_requests`, `resolutions`) must agree with what the
 * chain recorded for them. A state column edited with plain SQL (a held
 * action set to "approved", a request marked approved, arguments swapped)
 * is reported even though the chain itself is intact.
 */
import type { SqlDriver, SqlRow } from "../app/ports/sql.ts";
import { sha256Hex } from "../core/digest.ts";
import { isWarrantError } from "../core/errors.ts";
import { digestOf, storedDigest } from "./action-writes.ts";
import type { PayloadCodec } from "./payload-codec.ts";
import { payloadAad } from "./rows.ts";
import { storedPayloadValue } from "./event-payload.ts";

/** One row that disagrees with the chain. */
export interface RowProblem {
  table: "actions" | "approval_requests" | "resolutions";
  id: string;
  problem: string;
}

interface ChainEntry {
  type: string;
  payload: Record<string, unknown>;
}

const PAGE = 1000;
const MAX_PROBLEMS = 100;

/**
 * Compare every action, request and resolution row with its events. Returns
 * the rows checked and the first problems found (at most 100).
 */
export function crossCheckRows(
  db: SqlDriver,
  codec: PayloadCodec,
): { checked: number; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  let checked = 0;
  let after = "";
  for (;;) {
    const page = db.all("SELECT * FROM actions WHERE id > ? ORDER BY id LIMIT ?", [after, PAGE]);
    for (const a of page) {
      checked++;
      checkAction(db, codec, a, problems);
      if (problems.length >= MAX_PROBLEMS) return { checked, problems };
    }
    if (page.length < PAGE) break;
    after = String(page[page.length - 1]!.id);
  }
  return { checked, problems };
}

/** The action's events: by number (schema 9 on) and by id (older rows), in seq order. */
function chainOf(db: SqlDriver, actionId: string, n: unknown): ChainEntry[] {
  const rows = db.all("SELECT seq, type, payload FROM events WHERE action_id = ? ORDER BY seq", [
    actionId,
  ]);
  if (typeof n === "number" || typeof n === "bigint") {
    rows.push(
      ...db.all("SELECT seq, type, payload FROM events WHERE action_n = ? ORDER BY seq", [n]),
    );
    rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  }
  return rows
    .map((r) => {
      let payload: Record<string, unknown> = {};
      try {
        payload = storedPayloadValue(r.payload, "events.payload");
      } catch { /* the chain check reports it */ }
      return { type: String(r.type), payload };
    });
}

function checkAction(db: SqlDriver, codec: PayloadCodec, a: SqlRow, out: RowProblem[]): void {
  const id = String(a.id);
  const bad = (table: RowProblem["table"], rowId: string, problem: string) =>
    out.push({ table, id: rowId, problem });
  const chain = chainOf(db, id, a.n);
  const proposed = chain.find((e) => e.type === "action.proposed");
  if (!proposed) return void bad("actions", id, "no action.proposed event in the audit log");
  for (const k of ["tool", "session_id", "args_digest"] as const) {
    if (proposed.payload[k] !== String(a[k])) {
      bad(
        "actions",
        id,
        `${k} is ${String(a[k])}, the audit log recorded ${String(proposed.payload[k])}`,
      );
    }
  }
  const last = chain.filter((e) => e.type.startsWith("action.")).at(-1)!;
  if (last.type !== `action.${String(a.state)}`) {
    bad(
      "actions",
      id,
      `state is ${String(a.state)}, the audit log's last transition is ${last.type}`,
    );
  }
  try {
    const args = codec.decode(a.args as Uint8Array, payloadAad("actions", id, "args"));
    const stored = String(a.args_digest);
    const want = stored.startsWith("hmac-") ? storedDigest(codec, args) : digestOf(args);
    if (want !== stored) {
      bad("actions", id, "args do not match args_digest (arguments edited)");
    }
  } catch (e) {
    // Without the data key the arguments cannot be read; everything else is a finding.
    if (!isWarrantError(e, "payload_key_missing")) {
      bad("actions", id, `args cannot be decoded: ${(e as Error).message}`);
    }
  }
  for (const r of db.all("SELECT * FROM approval_requests WHERE action_id = ?", [id])) {
    checkRequest(db, r, chain, out);
  }
}

function checkRequest(db: SqlDriver, r: SqlRow, chain: ChainEntry[], out: RowProblem[]): void {
  const id = String(r.id);
  const mine = chain.filter((e) => e.type.startsWith("request.") && e.payload.request_id === id);
  const created = mine.find((e) => e.type === "request.created");
  if (!created) {
    out.push({
      table: "approval_requests",
      id,
      problem: "no request.created event in the audit log",
    });
    return;
  }
  for (const k of ["action_digest", "policy_id", "policy_version", "deadline"] as const) {
    if (String(created.payload[k]) !== String(r[k])) {
      out.push({
        table: "approval_requests",
        id,
        problem: `${k} is ${String(r[k])}, the audit log recorded ${String(created.payload[k])}`,
      });
    }
  }
  const closed = mine.filter((e) => e.type !== "request.created").at(-1);
  const recorded = closed ? closed.type.slice("request.".length) : "pending";
  if (String(r.state) !== recorded) {
    out.push({
      table: "approval_requests",
      id,
      problem: `state is ${String(r.state)}, the audit log recorded ${recorded}`,
    });
  }
  const accepted = chain.filter((e) =>
    e.type === "resolution.accepted" && e.payload.request_id === id
  ).map((e) => String(e.payload.document_sha256));
  const rows = db.all(
    "SELECT id, document, document_sha256 FROM resolutions WHERE request_id = ?",
    [
      id,
    ],
  );
  for (const row of rows) {
    const sha = String(row.document_sha256);
    if (sha256Hex(String(row.document)) !== sha) {
      out.push({
        table: "resolutions",
        id: String(row.id),
        problem: "document does not match its sha256",
      });
    } else if (!accepted.includes(sha)) {
      out.push({
        table: "resolutions",
        id: String(row.id),
        problem: "no resolution.accepted event in the audit log (row inserted)",
      });
    }
  }
  const have = new Set(rows.map((x) => String(x.document_sha256)));
  for (const sha of accepted) {
    if (!have.has(sha)) {
      out.push({
        table: "resolutions",
        id: `request ${id}`,
        problem: `resolution ${sha} was accepted but its row is gone (row deleted)`,
      });
    }
  }
}
