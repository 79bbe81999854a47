/**
 * Signed checkpoints of the audit chain, and how a store is judged against
 * them. A checkpoint `{"type":"warrant.checkpoint/v1","store_id","seq",
 * "head","at"}` says "store S had this hash at this seq"; it is signed
 * (ed25519 over CHECKPOINT_DOMAIN + JCS of the document without its
 * signature) and appended to a witness the agent cannot write. A store that
 * is behind, or whose history differs from, a valid checkpoint was rolled
 * back, truncated, rebuilt, emptied or swapped. Pure: no I/O, no clock.
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { canonicalBytes, parseJsonStrict } from "./canonical-json.ts";
import { CHECKPOINT_DOMAIN, signDomain, verifyDomain } from "./signing.ts";

export const CHECKPOINT_TYPE = "warrant.checkpoint/v1";

/** What a checkpoint states. `at` is ISO 8601 UTC. */
export interface Checkpoint {
  type: typeof CHECKPOINT_TYPE;
  store_id: string;
  seq: number;
  /** Hex hash of the event at `seq` (64 zeros for an empty chain). */
  head: string;
  at: string;
}

/** A checkpoint with its base64 signature, as one witness line. */
export interface SignedCheckpoint extends Checkpoint {
  signature: string;
}

/**
 * Sign a checkpoint with a 32-byte seed; returns the witness line's object.
 *
 * @example JSON.stringify(signCheckpoint({ type: CHECKPOINT_TYPE, store_id, seq: 42, head, at }, seed))
 */
export function signCheckpoint(c: Checkpoint, secret: Uint8Array): SignedCheckpoint {
  const doc: Checkpoint = {
    type: CHECKPOINT_TYPE,
    store_id: c.store_id,
    seq: c.seq,
    head: c.head,
    at: c.at,
  };
  const sig = signDomain(CHECKPOINT_DOMAIN, canonicalBytes(doc), secret);
  return { ...doc, signature: encodeBase64(sig) };
}

/**
 * Parse and verify one witness line with the checkpoint public key. Never
 * throws: a line that is not a valid signed checkpoint is `{ ok: false }`
 * with the reason (it is then ignored: only valid checkpoints count).
 */
export function readCheckpoint(
  line: string,
  pub: Uint8Array,
): { ok: true; checkpoint: SignedCheckpoint } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = parseJsonStrict(line, 4);
  } catch (e) {
    return { ok: false, problem: `not strict JSON: ${(e as Error).message}` };
  }
  const o = raw as Record<string, unknown>;
  if (
    raw === null || typeof raw !== "object" || Array.isArray(raw) ||
    Object.keys(o).sort().join() !== "at,head,seq,signature,store_id,type" ||
    o.type !== CHECKPOINT_TYPE || typeof o.store_id !== "string" ||
    !Number.isSafeInteger(o.seq) || (o.seq as number) < 0 ||
    typeof o.head !== "string" || !/^[0-9a-f]{64}$/.test(o.head) ||
    typeof o.at !== "string" || typeof o.signature !== "string"
  ) {
    return { ok: false, problem: "not a warrant.checkpoint/v1 document" };
  }
  const sig = decodeBase64(o.signature, 64);
  const doc: Checkpoint = {
    type: CHECKPOINT_TYPE,
    store_id: o.store_id,
    seq: o.seq as number,
    head: o.head,
    at: o.at,
  };
  let ok = false;
  try {
    ok = sig !== null && verifyDomain(CHECKPOINT_DOMAIN, canonicalBytes(doc), sig, pub);
  } catch {
    ok = false;
  }
  return ok
    ? { ok: true, checkpoint: { ...doc, signature: o.signature } }
    : { ok: false, problem: "signature does not verify with the checkpoint key" };
}

/** The latest (highest seq) of `lines`' valid checkpoints, or null. */
export function latestCheckpoint(
  lines: readonly string[],
  pub: Uint8Array,
): SignedCheckpoint | null {
  let best: SignedCheckpoint | null = null;
  for (const l of lines) {
    const r = readCheckpoint(l, pub);
    if (r.ok && (best === null || r.checkpoint.seq > best.seq)) best = r.checkpoint;
  }
  return best;
}

/** What a store looks like to the witness check. */
export interface StoreView {
  store_id: string;
  /** Last seq in the events table (0 when empty). */
  lastSeq: number;
  /** Hex hash of the event at `seq`, or null when there is none. */
  hashAt(seq: number): string | null;
}

/** How a store disagrees with its witness. */
export type RollbackKind = "other_store" | "emptied" | "older_copy" | "missing_tail" | "rebuilt";

/**
 * Judge a store against checkpoints (the latest one, and every other one it
 * is given). Returns null when the store holds every checkpointed head, or
 * what is wrong: another store, an emptied chain, an older copy (its head is
 * an earlier checkpoint), a missing tail, or a rebuilt chain (a checkpointed
 * seq now has another hash).
 */
export function judgeStore(
  store: StoreView,
  checkpoints: readonly SignedCheckpoint[],
): { kind: RollbackKind; message: string } | null {
  if (checkpoints.length === 0) return null;
  const latest = checkpoints.reduce((a, b) => (b.seq > a.seq ? b : a));
  const where = `the witness's checkpoint of seq ${latest.seq} (${latest.at})`;
  if (latest.store_id !== store.store_id) {
    return {
      kind: "other_store",
      message:
        `this is another store (store_id ${store.store_id}), not ${latest.store_id} of ${where}`,
    };
  }
  const mine = checkpoints.filter((c) => c.store_id === store.store_id);
  if (store.lastSeq < latest.seq) {
    if (store.lastSeq === 0) {
      return {
        kind: "emptied",
        message: `the audit chain is empty, but ${where} says it held ${latest.seq} events`,
      };
    }
    const head = store.hashAt(store.lastSeq);
    const earlier = mine.find((c) => c.seq === store.lastSeq && c.head === head);
    return earlier
      ? {
        kind: "older_copy",
        message:
          `this is an older copy of the store: it ends at the checkpoint of seq ${earlier.seq} ` +
          `(${earlier.at}), but ${where} is later; ${
            latest.seq - store.lastSeq
          } events are missing`,
      }
      : {
        kind: "missing_tail",
        message: `the audit chain ends at seq ${store.lastSeq}, but ${where} is later: the tail ` +
          `(${latest.seq - store.lastSeq} events) is missing`,
      };
  }
  for (const c of [...mine].sort((a, b) => b.seq - a.seq)) {
    if (c.seq === 0) continue;
    const h = store.hashAt(c.seq);
    if (h !== c.head) {
      return {
        kind: "rebuilt",
        message: `the event at seq ${c.seq} is not the one checkpointed at ${c.at} ` +
          `(hash ${h ?? "missing"}, checkpoint ${c.head}): the chain was rebuilt`,
      };
    }
  }
  return null;
}
