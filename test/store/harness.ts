/** Fixtures shared by the store contract: temp files, paths to states, keys. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ActionState } from "../../src/core/action.ts";
import type { SqlDriver, SqlDriverFactory } from "../../src/app/ports/sql.ts";
import type { Store, StoreTx } from "../../src/app/ports/store.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import type { PayloadCodec } from "../../src/store/payload-codec.ts";

export interface Ctx {
  /** "sqlite" (a file) or "postgres" (a fresh schema on the test server). */
  kind: "sqlite" | "postgres";
  dir: string;
  /** The SQLite file, or the PostgreSQL store's label. */
  path: string;
  open(codec?: PayloadCodec, busyTimeoutMs?: number): Store;
  /** A raw connection to the same database, speaking the store's SQL (an attacker's view). */
  raw(): SqlDriver;
  cleanup(): void;
}

/**
 * What the contract runs on: a SQLite driver, or a backend that makes its
 * own contexts (test/store/postgres/pg-backend.ts: one schema per test).
 */
export type Backend = SqlDriverFactory | { ctx(): Ctx };

/** A fresh folder with a store path in it; `cleanup` closes every store opened and removes it. */
export function ctx(backend: Backend): Ctx {
  if (typeof backend !== "function") return backend.ctx();
  const driver = backend;
  const dir = mkdtempSync(join(tmpdir(), "warrant-store-"));
  const path = join(dir, "warrant.db");
  const opened: Store[] = [];
  return {
    kind: "sqlite",
    dir,
    path,
    open(codec, busyTimeoutMs) {
      const s = openStore({ path, driver, codec, busyTimeoutMs, clock: { now: () => 1 } });
      opened.push(s);
      return s;
    },
    raw: () => driver(path),
    cleanup() {
      for (const s of opened) s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run `fn` with a fresh context, always cleaning up. */
export async function withCtx(
  backend: Backend,
  fn: (c: Ctx) => void | Promise<void>,
): Promise<void> {
  const c = ctx(backend);
  try {
    await fn(c);
  } finally {
    c.cleanup();
  }
}

/** The legal path from `proposed` to each state. */
export const PATH_TO: Record<ActionState, ActionState[]> = {
  proposed: [],
  denied: ["denied"],
  allowed: ["allowed"],
  held: ["held"],
  approved: ["held", "approved"],
  rejected: ["held", "rejected"],
  expired: ["held", "expired"],
  executing: ["allowed", "executing"],
  completed: ["allowed", "executing", "completed"],
  failed: ["allowed", "executing", "failed"],
  unknown: ["allowed", "executing", "unknown"],
};

export const SESSION = "ses_1";
let n = 0;

/** Ensure SESSION exists. */
export function session(tx: StoreTx, id = SESSION, pid = 4242, at = 1): void {
  if (!tx.getSession(id)) tx.openSession({ id, project: "acme", pid, at });
}

/** A new action `id` in session "s" of project "p" (tool "t", args `{ id }`), for insertAction. */
export const plainAction = (id: string) => ({
  id,
  session_id: "s",
  project: "p",
  tool: "t",
  args: { id },
  origin: "hook" as const,
  at: 2,
});

/** Insert an action and walk it to `state` along the legal path. */
export function actionIn(
  store: Store,
  state: ActionState,
  opts: { id?: string; session?: string; args?: Record<string, unknown> } = {},
): string {
  const id = opts.id ?? `act_${String(++n).padStart(4, "0")}`;
  store.tx((tx) => {
    session(tx, opts.session ?? SESSION);
    tx.insertAction({
      id,
      session_id: opts.session ?? SESSION,
      project: "acme",
      tool: "send_payment",
      args: opts.args ?? { amount: 5, to: "bob" },
      origin: "hook",
      at: 10,
    });
    let cur: ActionState = "proposed";
    for (const next of PATH_TO[state]) {
      tx.transition(id, [cur], next, {}, 11);
      cur = next;
    }
  });
  return id;
}

export const KEY_A = new Uint8Array(32).fill(7);
export const KEY_B = new Uint8Array(32).fill(9);
