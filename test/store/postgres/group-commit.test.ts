/**
 * Group commit on PostgreSQL pipelines each member's writes (and its
 * SAVEPOINT/RELEASE) without waiting, so a write's failure surfaces at a
 * later statement — perhaps another member's. Such a failure must fail the
 * whole group: were it pinned on the member that saw it, that member's
 * ROLLBACK TO would undo the guilty member's writes while the guilty member
 * reported success, and the recorded chain head would point past rows that
 * were never written.
 */
import { afterAll, expect, test } from "bun:test";
import type { Store, StoreTx } from "../../../src/app/ports/store.ts";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { openPgStore } from "../../../src/store/postgres/pg-store.ts";
import { dropSchema, freshSchema, pgTestUrl, rawPg } from "./pg-backend.ts";

const url = pgTestUrl();
const pgTest = url ? test : test.skip;
const schema = freshSchema("group");
let store: Store | null = null;
afterAll(() => {
  store?.close();
  if (url) dropSchema(url, schema);
});

pgTest(
  "a pipelined write failing inside a group commit fails every member; nothing is committed",
  async () => {
    store = openPgStore({ url: url!, schema, bridge: pgBridge });
    const s = store;
    s.tx((tx) => tx.appendEvent({ type: "x.first", at: 1 }));
    expect(s.verifyAudit().ok).toBe(true);
    const before = s.events({ afterSeq: 0 }).map((e) => e.type);
    // A row planted beyond the recorded head: the second member's event
    // insert collides with it, but only on the server, after it was sent.
    const raw = rawPg(url!, schema);
    const planted = s.lastEventSeq() + 2;
    raw.run(
      "INSERT INTO events (seq, at, type, action_id, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [planted, 1, "x.planted", null, "{}", new Uint8Array(32), new Uint8Array(32)],
    );
    raw.close();
    const member = (type: string, read: boolean) => (tx: StoreTx) => {
      tx.appendEvent({ type, at: 2 });
      // An answered statement: it is where an earlier member's failure shows.
      if (read) tx.getAction("act_none");
      return type;
    };
    const results = await Promise.allSettled([
      s.txAsync(member("x.one", false)),
      s.txAsync(member("x.two", false)),
      s.txAsync(member("x.three", true)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    const reason = (results[2] as PromiseRejectedResult).reason as { code?: string };
    expect(reason.code).toBe("store_corrupt");
    // Nothing of the group was committed: the log still ends at the old head,
    // then the planted row (which verify reports as a gap).
    expect(s.events({ afterSeq: 0 }).map((e) => e.type)).toEqual([...before, "x.planted"]);
    const v = s.verifyAudit();
    expect(v.ok).toBe(false);
    expect(v.first_bad?.problem).toBe(`gap: expected seq ${planted - 1}, found ${planted}`);
  },
);
