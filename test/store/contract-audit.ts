/** Audit-log tamper detection, done with plain SQL through a raw driver. */
import type { SqlDriverFactory, SqlValue } from "../../src/app/ports/sql.ts";
import type { Store } from "../../src/app/ports/store.ts";
import { eventHash } from "../../src/core/audit-chain.ts";
import { hashBytes } from "../../src/store/rows.ts";
import { eq, ok, type TestApi, throwsCode } from "./assert.ts";
import { actionIn, type Ctx, withCtx } from "./harness.ts";

function tamper(c: Ctx, steps: Array<[string, SqlValue[]?]>): void {
  const raw = c.driver(c.path);
  try {
    raw.exec("DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;");
    for (const [sql, params] of steps) raw.run(sql, params);
  } finally {
    raw.close();
  }
}

/** A store with 3 actions: 9 events. */
function seeded(c: Ctx): Store {
  const s = c.open();
  actionIn(s, "completed"); // session.opened + proposed, allowed, executing, completed
  actionIn(s, "denied"); // proposed, denied
  actionIn(s, "held"); // proposed, held
  eq(s.lastEventSeq(), 9);
  eq(s.verifyAudit(), { ok: true, checked: 9 });
  return s;
}

export function auditContract(name: string, driver: SqlDriverFactory, t: TestApi): void {
  const test = (n: string, fn: (c: Ctx) => void) =>
    t.test(`${name}: ${n}`, () => withCtx(driver, fn));

  test("events are append-only at the SQL level (triggers)", (c) => {
    seeded(c);
    const raw = c.driver(c.path);
    try {
      let threw = false;
      try {
        raw.run("UPDATE events SET type = 'x' WHERE seq = 1");
      } catch {
        threw = true;
      }
      ok(threw, "UPDATE on events must fail");
    } finally {
      raw.close();
    }
  });

  test("verifyAudit detects an edited row", (c) => {
    const s = seeded(c);
    tamper(c, [[
      `UPDATE events SET payload = '{"from":"proposed","effect":"allow"}' WHERE seq = 5`,
    ]]);
    const r = s.verifyAudit();
    eq([r.ok, r.checked, r.first_bad?.seq], [false, 4, 5]);
    ok(r.first_bad!.problem.includes("hash mismatch"), r.first_bad!.problem);
  });

  test("verifyAudit detects an edited row whose hash was recomputed (next link breaks)", (c) => {
    const s = seeded(c);
    const e = s.events({ afterSeq: 4, limit: 1 })[0]!;
    const payload = { ...e.payload, reason: "forged" };
    tamper(c, [[
      "UPDATE events SET payload = ?, hash = ? WHERE seq = 5",
      [JSON.stringify(payload), hashBytes(eventHash({ ...e, payload }))],
    ]]);
    const r = s.verifyAudit();
    eq(r.first_bad?.seq, 6);
    ok(r.first_bad!.problem.includes("prev_hash"), r.first_bad!.problem);
  });

  test("verifyAudit detects a deleted row (gap) and a truncated tail", (c) => {
    const s = seeded(c);
    tamper(c, [["DELETE FROM events WHERE seq = 4"]]);
    const r = s.verifyAudit();
    eq(r.first_bad?.seq, 4);
    ok(r.first_bad!.problem.includes("gap: expected seq 4, found 5"), r.first_bad!.problem);
    tamper(c, [["DELETE FROM events WHERE seq >= 4"]]);
    const r2 = s.verifyAudit();
    eq([r2.ok, r2.first_bad?.seq], [false, 4]);
    ok(r2.first_bad!.problem.includes("truncated"), r2.first_bad!.problem);
  });

  test("appending after a truncated tail keeps the gap visible and never reuses seqs", (c) => {
    const s = seeded(c);
    tamper(c, [["DELETE FROM events WHERE seq = 9"]]);
    actionIn(s, "denied");
    eq(s.events({ afterSeq: 8 }).map((e) => e.seq), [10, 11]);
    eq(s.verifyAudit().first_bad?.seq, 9);
  });

  test("verifyAudit detects an inserted row (forged at the end, and chained correctly)", (c) => {
    const s = seeded(c);
    tamper(c, [[
      "INSERT INTO events (seq, at, type, action_id, payload, prev_hash, hash) VALUES (10, 1, 'x', NULL, '{}', ?, ?)",
      [hashBytes("0".repeat(64)), hashBytes("f".repeat(64))],
    ]]);
    eq(s.verifyAudit().first_bad?.seq, 10);
    tamper(c, [["DELETE FROM events WHERE seq = 10"]]);
    const last = s.events({ afterSeq: 8 })[0]!;
    const forged = {
      seq: 10,
      at: 99,
      type: "action.approved",
      action_id: "act_x",
      payload: {},
      prev_hash: last.hash,
    };
    tamper(c, [[
      "INSERT INTO events (seq, at, type, action_id, payload, prev_hash, hash) VALUES (?, ?, ?, ?, '{}', ?, ?)",
      [
        10,
        99,
        forged.type,
        forged.action_id,
        hashBytes(forged.prev_hash),
        hashBytes(eventHash(forged)),
      ],
    ]]);
    const r = s.verifyAudit();
    eq([r.ok, r.first_bad?.seq], [false, 10]);
    ok(r.first_bad!.problem.includes("inserted"), r.first_bad!.problem);
    // The next write refuses to chain onto a log it does not recognise.
    throwsCode(() => actionIn(s, "denied"), "store_corrupt", "seq 10");
  });

  test("verifyAudit detects an inserted row in the middle (renumbered tail)", (c) => {
    const s = seeded(c);
    tamper(c, [
      ["UPDATE events SET seq = seq + 100 WHERE seq >= 5"],
      ["UPDATE events SET seq = seq - 99 WHERE seq >= 105"],
      [
        "INSERT INTO events (seq, at, type, action_id, payload, prev_hash, hash) VALUES (5, 1, 'x', NULL, '{}', ?, ?)",
        [hashBytes(s.events({ afterSeq: 3, limit: 1 })[0]!.hash), hashBytes("e".repeat(64))],
      ],
    ]);
    eq(s.verifyAudit().first_bad?.seq, 5);
  });

  test("verifyAudit detects two reordered rows", (c) => {
    const s = seeded(c);
    tamper(c, [
      ["UPDATE events SET seq = -1 WHERE seq = 6"],
      ["UPDATE events SET seq = 6 WHERE seq = 7"],
      ["UPDATE events SET seq = 7 WHERE seq = -1"],
    ]);
    const r = s.verifyAudit();
    eq([r.ok, r.checked, r.first_bad?.seq], [false, 5, 6]);
  });
}
