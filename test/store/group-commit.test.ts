/**
 * Group commit (Store.txAsync): one transaction for a turn's worth of
 * callers, each isolated by a savepoint; nothing resolves before COMMIT.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../src/app/ports/store.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";

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
const action = (id: string) => ({
  id,
  session_id: "s",
  project: "p",
  tool: "t",
  args: { id },
  origin: "hook" as const,
  at: 2,
});

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

test("close() lands queued group commits first", async () => {
  const s = fresh();
  const p = s.txAsync((tx) => tx.insertAction(action("late")).id);
  s.close();
  expect(await p).toBe("late");
  store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  expect(store.getAction("late")?.state).toBe("proposed");
});
