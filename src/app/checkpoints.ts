/**
 * Signed checkpoints of the audit chain in a witness (issue 9). While a
 * writer runs, `tick` appends a checkpoint whenever the chain's head has
 * moved (the runtime calls it every `audit.checkpoint_interval_ms` and at
 * clean shutdown); before a writer starts, `check` refuses a store that is
 * behind its witness or disagrees with it (store_rolled_back). Off the
 * decision path: a decision never waits for the witness.
 */
import {
  judgeStore,
  latestCheckpoint,
  readCheckpoint,
  signCheckpoint,
} from "../core/checkpoint.ts";
import type { RollbackKind, SignedCheckpoint, StoreView } from "../core/checkpoint.ts";
import { GENESIS_HASH } from "../core/audit-chain.ts";
import { isoUtc } from "../core/approval/request.ts";
import type { StoreReads } from "./ports/store.ts";
import type { Clock } from "./ports/system.ts";
import type { Witness } from "./ports/witness.ts";

/** How much of the witness a writer reads at start (its end holds the latest checkpoints). */
export const WITNESS_TAIL_BYTES = 64 * 1024;

export interface CheckpointDeps {
  store: Pick<StoreReads, "lastEventSeq" | "events" | "storeId">;
  witness: Witness;
  /** The checkpoint key's 32-byte seed and public key. */
  secret: Uint8Array;
  publicKey: Uint8Array;
  clock: Clock;
}

/** The store as the witness check sees it. */
export function storeView(store: CheckpointDeps["store"]): StoreView {
  return {
    store_id: store.storeId(),
    lastSeq: store.lastEventSeq(),
    hashAt(seq: number): string | null {
      if (seq === 0) return GENESIS_HASH;
      const e = store.events({ afterSeq: seq - 1, limit: 1 })[0];
      return e && e.seq === seq ? e.hash : null;
    },
  };
}

/** Valid checkpoints among witness lines (invalid ones are ignored). */
export function validCheckpoints(lines: readonly string[], pub: Uint8Array): SignedCheckpoint[] {
  const out: SignedCheckpoint[] = [];
  for (const l of lines) {
    const r = readCheckpoint(l, pub);
    if (r.ok) out.push(r.checkpoint);
  }
  return out;
}

export class Checkpointer {
  private last: { seq: number; head: string } | null = null;

  constructor(private readonly deps: CheckpointDeps) {
    const latest = latestCheckpoint(deps.witness.tail(WITNESS_TAIL_BYTES), deps.publicKey);
    if (latest && latest.store_id === deps.store.storeId()) {
      this.last = { seq: latest.seq, head: latest.head };
    }
  }

  /**
   * Judge the store against the witness (`full`: every checkpoint, else the
   * ones at its end). Null when it holds every checkpointed head.
   */
  check(full = false): { kind: RollbackKind; message: string } | null {
    const w = this.deps.witness;
    const lines = full ? w.all() : w.tail(WITNESS_TAIL_BYTES);
    return judgeStore(storeView(this.deps.store), validCheckpoints(lines, this.deps.publicKey));
  }

  /** Number of valid checkpoints in the whole witness. */
  validCount(): number {
    return validCheckpoints(this.deps.witness.all(), this.deps.publicKey).length;
  }

  /**
   * Append a checkpoint when the head moved since the last one. Returns the
   * checkpoint written, or null when there was nothing to write. Throws what
   * the witness throws.
   */
  tick(): SignedCheckpoint | null {
    const view = storeView(this.deps.store);
    const seq = view.lastSeq;
    const head = view.hashAt(seq);
    if (head === null) return null;
    if (this.last && this.last.seq === seq && this.last.head === head) return null;
    const cp = signCheckpoint({
      type: "warrant.checkpoint/v1",
      store_id: view.store_id,
      seq,
      head,
      at: isoUtc(this.deps.clock.now()),
    }, this.deps.secret);
    this.deps.witness.append(JSON.stringify(cp));
    this.last = { seq, head };
    return cp;
  }
}
