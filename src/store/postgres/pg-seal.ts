/**
 * Audit events numbered and chained by the server, at COMMIT.
 *
 * Writers serialise on the schema's advisory lock (pg-driver.ts). If the
 * gate chained its events itself, a transaction would hold that lock from
 * the round trip that brought the chain head back, through the gate's own
 * work and a second round trip, to its commit. Here the gate sends its
 * events unnumbered, and ONE statement, sent with the COMMIT, reads the
 * head, numbers and hashes each event, inserts them and writes the new
 * head; a transaction that needs no answer before it (a decision: a new
 * action and its events) is then one round trip, and holds the lock only
 * while the server runs it and flushes its commit.
 *
 * The hash is the one core/audit-chain.ts defines: sha256 of the canonical
 * event `{"action_id":…,"at":…,"payload":…,"prev_hash":"…","seq":…,"type":…}`.
 * The gate encodes everything but `prev_hash` and `seq` (`pre` and `post`,
 * with the exact payload text stored beside them), and the server splices
 * those two in: a 64-hex hash and a decimal integer need no escaping, so
 * the bytes hashed are the bytes eventHashOfText hashes, and `audit verify`
 * recomputes every hash from the stored row as before.
 */
import type { Sealed, SealEvent } from "../../app/ports/sql.ts";
import { WarrantError } from "../../core/errors.ts";

/**
 * $1: the events as one JSON text (an array of SealEvent, at most
 * SEAL_CHUNK); $2: the NOTIFY channel. A malformed `meta.audit_head` fails the cast with the value in
 * the message (store_corrupt, below). Rows: i = 0 is the head it started
 * from, then one per event in order.
 */
export const SEAL_SQL = `WITH RECURSIVE
ev AS (
  SELECT * FROM ROWS FROM (json_to_recordset($1::text::json)
    AS (at bigint, type text, action_id text, payload text, pre text, post text)) WITH ORDINALITY
    AS t(at, type, action_id, payload, pre, post, i)
),
hv AS (
  SELECT CASE WHEN value ~ '^[0-9]{1,15} [0-9a-f]{64}$' THEN value
    ELSE ('warrant: meta.audit_head is malformed: ' || value)::bigint::text END AS v
  FROM meta WHERE key = 'audit_head'
),
txt AS MATERIALIZED (
  SELECT array_agg(pre ORDER BY i) AS pre, array_agg(post ORDER BY i) AS post, count(*) AS n FROM ev
),
ch(i, seq, hash) AS (
  SELECT 0::bigint,
    COALESCE((SELECT split_part(v, ' ', 1)::bigint FROM hv), 0),
    COALESCE((SELECT split_part(v, ' ', 2) FROM hv), repeat('0', 64))
  UNION ALL
  SELECT ch.i + 1, ch.seq + 1, encode(sha256(convert_to(
    txt.pre[ch.i + 1] || ch.hash || '","seq":' || (ch.seq + 1)::text || txt.post[ch.i + 1], 'UTF8')), 'hex')
  FROM ch, txt WHERE ch.i < txt.n
),
ins AS (
  INSERT INTO events (seq, at, type, action_id, action_n, payload, prev_hash, hash)
  SELECT ch.seq, ev.at, ev.type, CASE WHEN a.id IS NULL THEN ev.action_id END, a.n,
    ev.payload, '\\x'::bytea, decode(ch.hash, 'hex')
  FROM ch JOIN ev ON ev.i = ch.i LEFT JOIN actions a ON a.id = ev.action_id
),
head AS (
  INSERT INTO meta (key, value)
  SELECT 'audit_head', seq::text || ' ' || hash FROM ch ORDER BY i DESC LIMIT 1
  ON CONFLICT (key) DO UPDATE SET value = excluded.value
)
SELECT ch.i, ch.seq, ch.hash, pg_notify($2, '') AS n FROM ch ORDER BY ch.i`;

/**
 * Events per seal statement. Each step of the recursion scans the chunk's
 * events, so a statement costs chunk² row visits: a flood of 20,000
 * incidents in one group commit goes as 79 statements, not one that takes
 * minutes. Each reads the head the one before it wrote.
 */
export const SEAL_CHUNK = 256;

/** The seal statements for `events`, in order. */
export function sealStatements(
  events: readonly SealEvent[],
  channel: string,
): Array<{ sql: string; params: [string, string] }> {
  const out = [];
  for (let i = 0; i < events.length; i += SEAL_CHUNK) {
    out.push({
      sql: SEAL_SQL,
      params: [JSON.stringify(events.slice(i, i + SEAL_CHUNK)), channel] as [string, string],
    });
  }
  return out;
}

/**
 * The seals' answers (each chunk: the head it started from, i = 0, then its
 * events) as seqs and hashes; store_corrupt when they do not account for
 * every event as one contiguous chain.
 */
export function sealedFrom(rows: ReadonlyArray<Record<string, unknown>>, count: number): Sealed {
  const events: Array<{ seq: number; hash: string }> = [];
  let from: { seq: number; hash: string } | null = null;
  let last: { seq: number; hash: string } | null = null;
  let ok = true;
  for (const r of rows) {
    const cur = { seq: Number(r.seq), hash: String(r.hash) };
    if (Number(r.i) === 0) {
      // A chunk's start is the previous chunk's end.
      if (last && (cur.seq !== last.seq || cur.hash !== last.hash)) ok = false;
      from ??= cur;
    } else {
      if (!last || cur.seq !== last.seq + 1) ok = false;
      events.push(cur);
    }
    last = cur;
  }
  if (!ok || !from || events.length !== count) {
    throw new WarrantError(
      "store_corrupt",
      `the server sealed ${events.length} audit events of ${count}, or not as one chain: the ` +
        `commit is not accounted for; run warrant audit verify`,
    );
  }
  return { from, events };
}

/** A seal failure as what it means: a duplicate seq or a malformed head is store_corrupt. */
export function sealError(e: unknown): unknown {
  const err = e as { code?: unknown; message?: unknown };
  const msg = String(err.message ?? "");
  if (err.code === "23505" && /events/.test(msg)) {
    const seq = /Key \(seq\)=\((\d+)\)/.exec(msg)?.[1] ?? "?";
    return new WarrantError(
      "store_corrupt",
      `audit log already holds seq ${seq}, beyond its recorded head: rows were added ` +
        `outside warrant; run warrant audit verify`,
    );
  }
  const bad = /warrant: meta\.audit_head is malformed: ([^"]*)/.exec(msg);
  if (bad) {
    return new WarrantError("store_corrupt", `meta.audit_head is malformed: ${bad[1]}`);
  }
  return e;
}
