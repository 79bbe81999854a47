/**
 * Group commit (Store.txAsync): one transaction for the callers queued
 * before a group is flushed (at once when the store is idle, after a turn
 * when it is busy); on SQLite first without savepoints, and when a caller throws,
 * again with each isolated by a savepoint; nothing resolves before COMMIT.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../src/app/ports/store.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { plainAction } from "./harness.ts";

let dir = "";
let store: Store;
afterEach(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
function fresh(): Store {
  dir = mkdtempSync(join(tmpdir(), "warrant-group-"));
  store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  store.tx((tx) => tx.openSession({ id: "s", project: "p", pid: 1, at: 1 }));
  return store;
}
const action = plainAction;

test("concurrent callers share one commit; a failing one rolls back only itself", async () => {
  const s = fresh();
  const committed: number[] = [];
  s.onCommit((events) => committed.push(events.length));
  const results = await Promise.allSettled([
    s.txAsync((tx) => tx.insertAction(action("a1")).id),
    s.txAsync((tx) => {
      tx.insertAction(action("a2"));
      throw new Error("boom");
    }),
    s.txAsync((tx) => tx.insertAction(action("a3")).id),
  ]);
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(s.getAction("a1")?.state).toBe("proposed");
  expect(s.getAction("a2")).toBeNull();
  expect(s.getAction("a3")?.state).toBe("proposed");
  expect(committed).toEqual([2]); // one commit, two action.proposed events, none for a2
  expect(s.verifyAudit().ok).toBe(true);
});

test("the compare-and-set still holds inside a group: one of two executions wins", async () => {
  const s = fresh();
  s.tx((tx) => {
    tx.insertAction(action("x"));
    tx.transition("x", ["proposed"], "allowed", {}, 3);
  });
  const start = () => s.txAsync((tx) => tx.transition("x", ["allowed"], "executing", {}, 4));
  const r = await Promise.allSettled([start(), start()]);
  expect(r.filter((x) => x.status === "fulfilled")).toHaveLength(1);
  expect(s.verifyAudit().ok).toBe(true);
});

test("a lone unit of work commits without waiting an event-loop turn; others wait one to group", async () => {
  const s = fresh();
  const committed: number[] = [];
  s.onCommit((events) => committed.push(events.length));
  // One unit of work in progress: its commit does not wait for the loop.
  const done = s.work();
  let turned = false;
  setImmediate(() => (turned = true));
  expect(await s.txAsync((tx) => tx.insertAction(action("i1")).id)).toBe("i1");
  expect(turned).toBe(false); // committed and answered before the setImmediate ran
  // Calls queued by the same code before it yields still share one commit.
  expect(
    await Promise.all(["i2", "i3"].map((id) => s.txAsync((tx) => tx.insertAction(action(id)).id))),
  ).toEqual(["i2", "i3"]);
  done();
  done(); // a second call changes nothing
  // Two units in progress: a group waits one loop turn, and a call made in
  // that turn (here by a setImmediate queued before the group's) joins it.
  const a = s.work(), b = s.work();
  let joined: Promise<string> | undefined;
  setImmediate(() => (joined = s.txAsync((tx) => tx.insertAction(action("j2")).id)));
  expect(await s.txAsync((tx) => tx.insertAction(action("j1")).id)).toBe("j1");
  expect(await joined).toBe("j2");
  a();
  b();
  expect(committed).toEqual([1, 2, 2]);
  expect(s.verifyAudit().ok).toBe(true);
});

test("close() lands queued group commits first", async () => {
  const s = fresh();
  const p = s.txAsync((tx) => tx.insertAction(action("late")).id);
  s.close();
  expect(await p).toBe("late");
  store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  expect(store.getAction("late")?.state).toBe("proposed");
});

test("a group that succeeds runs each member once; one with a failing member runs the others again with savepoints, and their writes land exactly once", async () => {
  const s = fresh();
  const runs = new Map<string, number>();
  const member = (id: string, fail = false) =>
    s.txAsync((tx) => {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      const a = tx.insertAction(action(id));
      tx.transition(id, ["proposed"], "allowed", {}, 3);
      if (fail) throw new Error(`boom ${id}`);
      return a.id;
    });
  // All succeed: one transaction, each callback once.
  expect(await Promise.all([member("b1"), member("b2"), member("b3")])).toEqual(["b1", "b2", "b3"]);
  expect([...runs.values()]).toEqual([1, 1, 1]);
  // One fails: the attempt rolls back at once (c3 had not run yet) and the group runs again,
  // each member in a savepoint: c2's writes roll back, c1 and c3 commit once.
  runs.clear();
  const committed: number[] = [];
  s.onCommit((events) => committed.push(events.length));
  const r = await Promise.allSettled([member("c1"), member("c2", true), member("c3")]);
  expect(r.map((x) => x.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect((r[1] as PromiseRejectedResult).reason.message).toBe("boom c2");
  expect(Object.fromEntries(runs)).toEqual({ c1: 2, c2: 2, c3: 1 });
  expect(committed).toEqual([4]); // c1 and c3: proposed + allowed each, in one commit
  expect(s.getAction("c2")).toBeNull();
  for (const id of ["b1", "b2", "b3", "c1", "c3"]) {
    expect(s.getAction(id)?.state).toBe("allowed");
    expect(s.events({ actionId: id }).map((e) => e.type)).toEqual([
      "action.proposed",
      "action.allowed",
    ]);
  }
  expect(s.verifyAudit()).toEqual({ ok: true, checked: 11 });
});
