/**
 * Audit events sealed by the server (store/postgres/pg-seal.ts): the gate
 * sends a transaction's events unnumbered with its COMMIT, and one
 * statement numbers, hashes and inserts them. What must hold: the hashes
 * are exactly core/audit-chain.ts's (so `audit verify` recomputes them), the
 * records handed back carry them, a flood goes in chunks as one chain, a
 * decision needs no answer before its COMMIT (one round trip), a
 * tampered head or a row added past it is store_corrupt with nothing
 * committed, and an outcome's compare-and-set, sent before the writer
 * lock, resolves a deadlock with another writer by rolling one side back.
 */
import { afterAll, expect, test } from "bun:test";
import type { PgBridgeFactory } from "../../../src/app/ports/sql.ts";
import type { Store, StoreTx } from "../../../src/app/ports/store.ts";
import { eventHash, GENESIS_HASH } from "../../../src/core/audit-chain.ts";
import type { EventRecord } from "../../../src/core/records.ts";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { lockKey } from "../../../src/store/postgres/pg-driver.ts";
import { SEAL_CHUNK } from "../../../src/store/postgres/pg-seal.ts";
import { openPgStore } from "../../../src/store/postgres/pg-store.ts";
import { dropSchema, freshSchema, pgTestUrl, rawPg } from "./pg-backend.ts";

const url = pgTestUrl();
const pgTest = url ? test : test.skip;
const schemas: string[] = [];
afterAll(() => {
  for (const s of schemas) dropSchema(url!, s);
});

/** A store on a fresh schema; `answered` counts the bridge calls that wait for the server. */
function open(): { store: Store; schema: string; answered: () => number } {
  const schema = freshSchema("seal");
  schemas.push(schema);
  let calls = 0;
  const counting: PgBridgeFactory = (o) => {
    const b = pgBridge(o);
    const counted = new Set(["query", "exec", "commit"]);
    return new Proxy(b, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== "function") return v;
        if (!counted.has(String(prop))) return v.bind(target);
        return (...a: unknown[]) => {
          calls++;
          return v.apply(target, a);
        };
      },
    });
  };
  const store = openPgStore({ url: url!, schema, bridge: counting, clock: { now: () => 1 } });
  return { store, schema, answered: () => calls };
}

/** A new action of session ses_1 walked to executing, as a decision writes it. */
function executing(tx: StoreTx, id: string): void {
  tx.insertAction(
    { id, session_id: "ses_1", project: "acme", tool: "t", args: {}, origin: "hook", at: 2 },
    [{ to: "allowed", patch: { effect: "allow" } }, { to: "executing", patch: {} }],
  );
}

const PAYLOADS: Array<Record<string, unknown>> = [
  {},
  { s: 'é 😀 \u2028 \u0000 "quoted" back\\slash\n\ttab' },
  { n: [0, -1, 1e21, 1.5e-7, 0.1, 9007199254740991], b: true, z: null },
  { nested: { b: [{ y: 1, x: 2 }], a: "" }, "key with space": 1, "é": 2, "\u00e9x": 3 },
  { big: "x".repeat(10_000) },
];

/** Each record's hash recomputed as audit-chain.ts defines it, and linked to the one before. */
function expectChained(recs: EventRecord[], from: string) {
  let prev = from;
  for (const r of recs) {
    expect(r.prev_hash).toBe(prev);
    expect(r.hash).toBe(eventHash(r));
    prev = r.hash;
  }
}

pgTest(
  "the server's hashes are audit-chain.ts's, for awkward payloads and every kind of action reference",
  () => {
    const { store } = open();
    try {
      const recs: EventRecord[] = [];
      store.tx((tx) => {
        tx.openSession({ id: "ses_1", project: "acme", pid: 1, at: 1 });
        tx.insertAction({
          id: "act_1",
          session_id: "ses_1",
          project: "acme",
          tool: "t",
          args: {},
          origin: "hook",
          at: 2,
        });
        for (const p of PAYLOADS) {
          recs.push(tx.appendEvent({ type: "test.event", action_id: "act_1", payload: p, at: 3 }));
          recs.push(
            tx.appendEvent({ type: "test.orphan", action_id: "act_gone", payload: p, at: 4 }),
          );
          recs.push(tx.appendEvent({ type: 't\u00e9st "q"', payload: p, at: 5 }));
        }
      });
      const all = store.events({ afterSeq: 0, limit: 1000 });
      expectChained(all, GENESIS_HASH);
      // The records the transaction returned are filled in from the COMMIT's answer.
      const tail = all.slice(all.length - recs.length);
      expect(recs.map((r) => [r.seq, r.prev_hash, r.hash])).toEqual(
        tail.map((r) => [r.seq, r.prev_hash, r.hash]),
      );
      expect(tail.map((r) => r.payload)).toEqual(recs.map((r) => r.payload));
      expect(tail.map((r) => r.action_id)).toEqual(recs.map((r) => r.action_id));
      expect(store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      store.close();
    }
  },
);

pgTest("a flood in one transaction goes in chunks, as one chain", () => {
  const { store } = open();
  try {
    const n = SEAL_CHUNK * 2 + 7;
    const before = store.events({ afterSeq: 0, limit: 10 }).length;
    const recs = store.tx((tx) =>
      Array.from({ length: n }, (_, i) => tx.appendEvent({ type: "flood", payload: { i }, at: 9 }))
    );
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => before + 1 + i));
    expectChained(store.events({ afterSeq: 0, limit: n + 10 }), GENESIS_HASH);
    expect(store.verifyAudit()).toMatchObject({ ok: true, checked: before + n });
  } finally {
    store.close();
  }
});

pgTest("a decision (a new action walked to executing, with its events) is one round trip", () => {
  const { store, answered } = open();
  try {
    store.tx((tx) => tx.openSession({ id: "ses_1", project: "acme", pid: 1, at: 1 }));
    const n0 = answered();
    store.tx((tx) => executing(tx, "act_d"));
    expect(answered() - n0).toBe(1);
    expect(store.getAction("act_d")?.state).toBe("executing");
    expect(store.verifyAudit()).toMatchObject({ ok: true });
  } finally {
    store.close();
  }
});

pgTest(
  "group commit: a member that throws leaves none of its events; the others are sealed",
  async () => {
    const { store } = open();
    try {
      const ok1 = store.txAsync((tx) => tx.appendEvent({ type: "keep.1", payload: {}, at: 1 }));
      const bad = store.txAsync((tx) => {
        tx.appendEvent({ type: "drop.me", payload: {}, at: 1 });
        throw new Error("this member fails");
      });
      const ok2 = store.txAsync((tx) => tx.appendEvent({ type: "keep.2", payload: {}, at: 1 }));
      const [a, b] = [await ok1, await ok2];
      await expect(bad).rejects.toThrow("this member fails");
      expect(b.seq).toBe(a.seq + 1);
      expect(b.prev_hash).toBe(a.hash);
      const types = store.events({ afterSeq: 0, limit: 10 }).map((e) => e.type);
      expect(types).toContain("keep.2");
      expect(types).not.toContain("drop.me");
      expect(store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      store.close();
    }
  },
);

pgTest("a malformed chain head is store_corrupt, named, and nothing commits", () => {
  const { store, schema } = open();
  const raw = rawPg(url!, schema);
  try {
    store.tx((tx) => tx.appendEvent({ type: "first", payload: {}, at: 1 }));
    raw.run("UPDATE meta SET value = ? WHERE key = ?", ["12 not-a-hash", "audit_head"]);
    expect(() =>
      store.tx((tx) => {
        tx.openSession({ id: "ses_x", project: "acme", pid: 1, at: 1 });
      })
    ).toThrow(expect.objectContaining({
      code: "store_corrupt",
      message: expect.stringContaining("meta.audit_head is malformed: 12 not-a-hash"),
    }));
    expect(store.getSession("ses_x")).toBeNull();
  } finally {
    raw.close();
    store.close();
  }
});

pgTest("a row added past the head is store_corrupt (its seq is taken), and nothing commits", () => {
  const { store, schema } = open();
  const raw = rawPg(url!, schema);
  try {
    const e = store.tx((tx) => tx.appendEvent({ type: "first", payload: {}, at: 1 }));
    raw.run(
      "INSERT INTO events (seq, at, type, payload, prev_hash, hash) VALUES (?, 1, 'forged', '{}', ?, ?)",
      [e.seq + 1, new Uint8Array(0), new Uint8Array(32)],
    );
    expect(() => store.tx((tx) => tx.openSession({ id: "ses_y", project: "acme", pid: 1, at: 1 })))
      .toThrow(expect.objectContaining({
        code: "store_corrupt",
        message: expect.stringContaining(`already holds seq ${e.seq + 1}`),
      }));
    expect(store.getSession("ses_y")).toBeNull();
  } finally {
    raw.close();
    store.close();
  }
});

pgTest(
  "an outcome's compare-and-set goes before the writer lock; a writer that then wants its row deadlocks, and one side rolls back whole as store_busy",
  async () => {
    const { store, schema } = open();
    try {
      store.tx((tx) => {
        tx.openSession({ id: "ses_1", project: "acme", pid: 1, at: 1 });
        executing(tx, "act_x");
      });
      const before = store.events({ afterSeq: 0, limit: 100 }).length;
      // Another writer (its own process) takes the writer lock now and, 400 ms
      // later, wants the action's row: by then this process's compare-and-set
      // holds the row and waits for the writer lock at COMMIT.
      const other = Bun.spawn([
        process.execPath,
        "-e",
        `import postgres from "postgres";
       const sql = postgres(process.env.U, { max: 1, onnotice: () => {} });
       const out = await sql.begin(async (t) => {
         await t.unsafe("SELECT pg_advisory_xact_lock(${lockKey("writer", schema)})");
         console.log("locked");
         await new Promise((r) => setTimeout(r, 400));
         return (await t.unsafe("UPDATE \\"${schema}\\".actions SET state = 'unknown' WHERE id = 'act_x' AND state = 'executing'")).count;
       }).then((n) => "updated " + n, (e) => "failed " + e.code);
       console.log(out);
       await sql.end();`,
      ], { env: { ...process.env, U: url! }, cwd: import.meta.dir, stdout: "pipe" });
      const reader = other.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain("locked");
      let err: unknown = null;
      try {
        store.tx((tx) => tx.transition("act_x", ["executing"], "completed", { output: 1 }, 3));
      } catch (e) {
        err = e;
      }
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        rest += new TextDecoder().decode(r.value);
      }
      await other.exited;
      // PostgreSQL rolls one of the two back; whichever it was, nothing of it remains.
      const state = store.getAction("act_x")?.state;
      const after = store.events({ afterSeq: 0, limit: 100 });
      if (err) {
        expect(err).toMatchObject({ code: "store_busy" });
        expect(String((err as Error).message)).toContain("deadlocked with another writer");
        expect(rest).toContain("updated 1");
        expect(state).toBe("unknown");
        expect(after.length).toBe(before);
        // (The other writer changed the row without an event, as a raw client
        // may: verify would report that row, which is not this test's point.)
      } else {
        expect(rest).toContain("failed 40P01");
        expect(state).toBe("completed");
        expect(after[after.length - 1]?.type).toBe("action.completed");
        expect(store.verifyAudit()).toMatchObject({ ok: true });
      }
    } finally {
      store.close();
    }
  },
);
