/**
 * Store.snapshot (SQLite): a view's reads in one read transaction see one
 * commit, even when another connection commits between them; writes inside
 * are refused; the store is usable after fn throws.
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
const open: Store[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
function twoConnections(): [Store, Store] {
  dir = mkdtempSync(join(tmpdir(), "warrant-snapshot-"));
  const a = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  open.push(a);
  a.tx((tx) => tx.openSession({ id: "s", project: "p", pid: 1, at: 1 }));
  const b = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  open.push(b);
  return [a, b];
}
const action = plainAction;

test("reads inside a snapshot see one commit; another connection's commit shows after it", () => {
  const [a, b] = twoConnections();
  a.tx((tx) => tx.insertAction(action("x")));
  const seen = a.snapshot!(() => {
    const first = a.getAction("x")?.state;
    const seqBefore = a.lastEventSeq();
    // another process moves the action on between two reads of this view
    b.tx((tx) => tx.transition("x", ["proposed"], "allowed", {}, 3));
    return { first, second: a.getAction("x")?.state, seqBefore, seqAfter: a.lastEventSeq() };
  });
  expect(seen.first).toBe("proposed");
  expect(seen.second).toBe("proposed");
  expect(seen.seqAfter).toBe(seen.seqBefore);
  expect(a.getAction("x")?.state).toBe("allowed");
  expect(a.lastEventSeq()).toBe(seen.seqBefore + 1);
});

test("a write inside a snapshot is refused; a throw ends the snapshot and the store goes on", () => {
  const [a] = twoConnections();
  expect(() => a.snapshot!(() => a.tx((tx) => tx.insertAction(action("y"))))).toThrow(
    /nested Store.tx/,
  );
  expect(a.getAction("y")).toBeNull();
  expect(() =>
    a.snapshot!(() => {
      throw new Error("boom");
    })
  ).toThrow("boom");
  a.tx((tx) => tx.insertAction(action("z")));
  expect(a.snapshot!(() => a.getAction("z")?.state)).toBe("proposed");
  // inside a write transaction the reads are that transaction's
  a.tx((tx) => {
    tx.transition("z", ["proposed"], "allowed", {}, 3);
    expect(a.snapshot!(() => a.getAction("z")?.state)).toBe("allowed");
  });
});
