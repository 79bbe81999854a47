/** Audit-log tamper detection, done with plain SQL through a raw driver. */
import type { SqlValue } from "../../src/app/ports/sql.ts";
import type { Store } from "../../src/app/ports/store.ts";
import { eventHash, eventHashOfText, GENESIS_HASH } from "../../src/core/audit-chain.ts";
import { EVENT_COLUMNS, hashBytes } from "../../src/store/rows.ts";
import { PACKED_V1, storedPayloadText } from "../../src/store/event-payload.ts";
import { eq, ok, type TestApi, throwsCode } from "./assert.ts";
import { actionIn, type Backend, type Ctx, withCtx } from "./harness.ts";

function tamper(c: Ctx, steps: Array<[string, SqlValue[]?]>): void {
  const raw = c.raw();
  try {
    raw.exec("DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;");
    for (const [sql, params] of steps) raw.run(sql, params);
  } finally {
    raw.close();
  }
}

/**
 * The attacker rebuilds the chain after editing: seq `seq` gets `payload`
 * (a text), every later hash and prev_hash is recomputed over the stored
 * bytes, and meta.audit_head is fixed. Only a witness can tell.
 */
function rebuildWith(c: Ctx, seq: number, payload: string): void {
  const raw = c.raw();
  try {
    raw.exec("DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;");
    raw.run("UPDATE events SET payload = ? WHERE seq = ?", [payload, seq]);
    let prev = GENESIS_HASH;
    let last = 0;
    for (const r of raw.all(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`)) {
      const f = {
        seq: Number(r.seq),
        at: Number(r.at),
        type: String(r.type),
        action_id: r.action_id === null ? null : String(r.action_id),
        prev_hash: prev,
      };
      const h = eventHashOfText(f, storedPayloadText(r.payload, "test"));
      raw.run("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", [
        hashBytes(prev),
        hashBytes(h),
        f.seq,
      ]);
      prev = h;
      last = f.seq;
    }
    raw.run("UPDATE meta SET value = ? WHERE key = 'audit_head'", [`${last} ${prev}`]);
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

export function auditContract(name: string, driver: Backend, t: TestApi): void {
  const test = (n: string, fn: (c: Ctx) => void) =>
    t.test(`${name}: ${n}`, () => withCtx(driver, fn));

  test("events are append-only at the SQL level (triggers)", (c) => {
    seeded(c);
    const raw = c.raw();
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

  test("prev_hash is not stored: read from the row before (a stored one, as older rows have, as stored)", (c) => {
    const s = seeded(c);
    const raw = c.raw();
    try {
      eq(
        Number(raw.get("SELECT COUNT(*) AS n FROM events WHERE length(prev_hash) > 0")?.n),
        0,
      );
    } finally {
      raw.close();
    }
    const evs = s.events({});
    eq(evs[0]!.prev_hash, GENESIS_HASH);
    for (let i = 1; i < evs.length; i++) eq(evs[i]!.prev_hash, evs[i - 1]!.hash);
    // Filtered reads link the same way.
    const five = s.events({ afterSeq: 4, limit: 1 })[0]!;
    eq(five.prev_hash, evs[3]!.hash);
    // A row written with its prev_hash (before schema 7) verifies, and is read as stored.
    tamper(c, [["UPDATE events SET prev_hash = ? WHERE seq = 5", [hashBytes(evs[3]!.hash)]]]);
    eq(s.verifyAudit(), { ok: true, checked: 9 });
    tamper(c, [["UPDATE events SET prev_hash = ? WHERE seq = 5", [hashBytes("ab".repeat(32))]]]);
    eq(s.events({ afterSeq: 4, limit: 1 })[0]!.prev_hash, "ab".repeat(32));
    const r = s.verifyAudit();
    eq(r.first_bad?.seq, 5);
    ok(r.first_bad!.problem.includes("prev_hash mismatch"), r.first_bad!.problem);
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

  test("payloads are stored as canonical JSON (packed on SQLite) and hashed as stored", (c) => {
    const s = seeded(c);
    const raw = c.raw();
    try {
      for (const r of raw.all("SELECT payload FROM events")) {
        // SQLite: the packed form of the canonical text (event-payload.ts); PostgreSQL: the text.
        if (c.kind === "sqlite") {
          ok(r.payload instanceof Uint8Array && r.payload[0] === PACKED_V1, String(r.payload));
        } else eq(typeof r.payload, "string");
        const text = storedPayloadText(r.payload, "test");
        eq(JSON.stringify(sortKeys(JSON.parse(text))), text);
      }
    } finally {
      raw.close();
    }
    eq(s.verifyAudit().ok, true);
  });

  test("a packed payload edited by one byte, or made unreadable, fails verification at its seq", (c) => {
    if (c.kind !== "sqlite") return; // PostgreSQL stores payloads as text
    const s = seeded(c);
    const raw = c.raw();
    const row = raw.get("SELECT payload FROM events WHERE seq = 3")!;
    raw.close();
    const packed = row.payload as Uint8Array;
    const before = s.events({ afterSeq: 2, limit: 1 })[0]!;
    // A digit of the allowed event's rules or policy: a flipped byte decodes to other text.
    for (let i = packed.length - 1; i > 1; i--) {
      const edited = packed.slice();
      edited[i] = edited[i]! ^ 1;
      tamper(c, [["UPDATE events SET payload = ? WHERE seq = 3", [edited]]]);
      const r = s.verifyAudit();
      eq([r.ok, r.first_bad?.seq], [false, 3]);
    }
    tamper(c, [["UPDATE events SET payload = ? WHERE seq = 3", [new Uint8Array([1, 8, 9])]]]);
    const r = s.verifyAudit();
    eq([r.ok, r.first_bad?.seq], [false, 3]);
    ok(r.first_bad!.problem.includes("packed payload"), r.first_bad!.problem);
    // The row holding its canonical text instead (as rows written before schema 8 do)
    // verifies and reads the same.
    tamper(c, [["UPDATE events SET payload = ? WHERE seq = 3", [
      storedPayloadText(packed, "test"),
    ]]]);
    eq(s.verifyAudit(), { ok: true, checked: 9 });
    eq(s.events({ afterSeq: 2, limit: 1 })[0], before);
  });

  test("a duplicate-key payload, even re-hashed with the chain rebuilt, is reported", (c) => {
    const s = seeded(c);
    const e5 = s.events({ afterSeq: 4, limit: 1 })[0]!;
    eq(e5.type, "action.completed");
    // SQLite's json_extract reads the first "from", JSON.parse the last.
    rebuildWith(c, 5, '{"from":"denied","from":"executing","output_digest":"sha256:0"}');
    const r = s.verifyAudit();
    eq([r.ok, r.first_bad?.seq], [false, 5]);
    ok(r.first_bad!.problem.includes('duplicate key "from"'), r.first_bad!.problem);
  });

  test("a payload with whitespace, even re-hashed with the chain rebuilt, is reported", (c) => {
    const s = seeded(c);
    const raw = c.raw();
    const text = storedPayloadText(
      raw.get("SELECT payload FROM events WHERE seq = 5")!.payload,
      "t",
    );
    raw.close();
    rebuildWith(c, 5, `${text} `);
    const r = s.verifyAudit();
    eq([r.ok, r.first_bad?.seq], [false, 5]);
    ok(r.first_bad!.problem.includes("not canonical"), r.first_bad!.problem);
  });

  test("rows edited with plain SQL are reported against the chain", (c) => {
    const s = seeded(c);
    const first = s.events({ afterSeq: 1, limit: 1 })[0]!.action_id!;
    const held = actionIn(s, "held");
    s.tx((tx) =>
      tx.insertRequest({
        id: "req_1",
        action_id: held,
        requirements: [{ rule: "r", quorum: 2, roles: ["finance"], timeout_ms: null }],
        rules: ["r"],
        policy_id: "p",
        policy_version: 1,
        action_digest: `sha256:${"a".repeat(64)}`,
        deadline: 1000,
        at: 12,
      })
    );
    eq(s.verifyAudit().ok, true);
    tamper(c, [
      [`UPDATE actions SET state = 'approved' WHERE id = '${held}'`],
      ["UPDATE approval_requests SET state = 'approved', action_digest = ? WHERE id = 'req_1'", [
        `sha256:${"b".repeat(64)}`,
      ]],
      // Plaintext codec format: version byte 0, then the JSON (bound as bytes: both dialects).
      [
        "UPDATE actions SET args = ? WHERE id = ?",
        [new Uint8Array([0, ...new TextEncoder().encode('{"amount":9999,"to":"eve"}')]), first],
      ],
    ]);
    const r = s.verifyAudit();
    eq(r.ok, false);
    const found = (r.row_problems ?? []).map((p) => `${p.table} ${p.id}: ${p.problem}`).join("\n");
    ok(
      found.includes(
        `actions ${held}: state is approved, the audit log's last transition is action.held`,
      ),
      found,
    );
    ok(found.includes("approval_requests req_1: action_digest is sha256:bbbb"), found);
    ok(
      found.includes("approval_requests req_1: state is approved, the audit log recorded pending"),
      found,
    );
    ok(found.includes("args do not match args_digest"), found);
  });

  test("events name their action by number; renaming an action or re-pointing an event is caught", (c) => {
    const s = seeded(c);
    const [first, second] = [2, 6].map((seq) => s.events({ afterSeq: seq - 1, limit: 1 })[0]!);
    const raw = c.raw();
    let rows;
    try {
      rows = raw.all("SELECT seq, action_id, action_n FROM events WHERE seq >= 2 ORDER BY seq");
    } finally {
      raw.close();
    }
    // Stored: the action's number (actions.n), not its id again. (On
    // PostgreSQL an event written in the same statement as its action — a
    // merged run, platform/pg-merge.ts — cannot see it and keeps the id.)
    const ids = [1, 1, 1, 1, 2, 2, 3, 3];
    for (const [i, r] of rows.entries()) {
      if (c.kind === "sqlite" || r.action_id === null) {
        eq([r.action_id, Number(r.action_n)], [null, ids[i]]);
      } else eq([r.action_n, r.action_id], [null, s.getAction(String(r.action_id))?.id]);
    }
    const byNumber = rows.filter((r) => r.action_n !== null && Number(r.action_n) === 1)
      .map((r) => Number(r.seq));
    eq(s.events({ actionId: first!.action_id! }).map((e) => e.seq), [2, 3, 4, 5]);
    // An event pointed at another action reads that action's id: its hash fails.
    tamper(c, [["UPDATE events SET action_id = NULL, action_n = 2 WHERE seq = 5"]]);
    eq(s.events({ afterSeq: 4, limit: 1 })[0]!.action_id, second!.action_id);
    let r = s.verifyAudit();
    eq([r.ok, r.first_bad?.seq], [false, 5]);
    ok(r.first_bad!.problem.includes("hash mismatch"), r.first_bad!.problem);
    tamper(c, [["UPDATE events SET action_n = 1 WHERE seq = 5"]]);
    eq(s.verifyAudit(), { ok: true, checked: 9 });
    // An action renamed (its events read the new id): the first of them fails.
    tamper(c, [[`UPDATE actions SET id = 'act_renamed' WHERE id = '${first!.action_id}'`]]);
    r = s.verifyAudit();
    eq([r.ok, r.first_bad?.seq], [false, byNumber[0]]);
    // An action renumbered: its events lose their id.
    tamper(c, [[`UPDATE actions SET id = '${first!.action_id}', n = 99 WHERE n = 1`]]);
    eq(s.events({ afterSeq: byNumber[0]! - 1, limit: 1 })[0]!.action_id, null);
    eq(s.verifyAudit().first_bad?.seq, byNumber[0]);
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

/** A copy of a JSON value with object keys sorted (what canonical JSON orders by). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
}
