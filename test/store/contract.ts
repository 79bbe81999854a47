/**
 * The store contract: one suite, run on every SqlDriver (bun:sqlite under
 * `bun test`, node:sqlite under `deno test`). It depends on no test runner:
 * the caller passes `{ test }`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ActionState } from "../../src/core/action.ts";
import type { EventRecord } from "../../src/core/records.ts";
import { ACTION_STATES, TRANSITIONS } from "../../src/core/action.ts";
import { verifyChain } from "../../src/core/audit-chain.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/store/migrations.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { eq, ok, type TestApi, throwsCode } from "./assert.ts";
import { auditContract } from "./contract-audit.ts";
import { recordsContract } from "./contract-records.ts";
import { actionIn, type Backend, PATH_TO, session, withCtx } from "./harness.ts";

export type { TestApi } from "./assert.ts";

/** Register the whole contract for `driver` under `name`. */
export function storeContract(name: string, driver: Backend, t: TestApi): void {
  const test = (n: string, fn: Parameters<typeof withCtx>[1]) =>
    t.test(`${name}: ${n}`, () => withCtx(driver, fn));

  test("migrations are idempotent on reopen", (c) => {
    const s1 = c.open();
    actionIn(s1, "allowed", { id: "act_keep" });
    s1.close();
    const s2 = c.open();
    eq(s2.getAction("act_keep")?.state, "allowed");
    s2.close();
    const raw = c.raw();
    eq(
      raw.all("SELECT version FROM schema_migrations ORDER BY version"),
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    raw.close();
  });

  test("a store from a newer schema refuses to open, naming both versions", (c) => {
    c.open().close();
    const raw = c.raw();
    raw.run("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
    raw.close();
    const e = throwsCode(() => c.open(), "store_open_failed", "99");
    ok(e.message.includes(`up to ${SCHEMA_VERSION}`), e.message);
  });

  // A file-only case (PostgreSQL's unreachable server and bad URL: test/store/postgres/).
  if (typeof driver !== "function") return registerRest();
  test("a file that is not a database, or a missing folder, fails with store_open_failed", (c) => {
    writeFileSync(
      c.path,
      "this is not a sqlite file, just some text that is long enough".repeat(40),
    );
    throwsCode(() => c.open(), "store_open_failed", c.path);
    const missing = join(c.dir, "missing", "w.db");
    throwsCode(() => openStore({ path: missing, driver }), "store_open_failed", missing);
  });
  registerRest();

  function registerRest(): void {
    test("legal path: proposed → allowed → executing → completed, with patches", (c) => {
      const s = c.open();
      const id = actionIn(s, "allowed");
      const r = s.tx((tx) =>
        tx.transition(id, ["allowed", "approved"], "executing", { executor_session: "ses_1" }, 20)
      );
      eq([r.state, r.executor_session, r.updated_at], ["executing", "ses_1", 20]);
      const done = s.tx((tx) =>
        tx.transition(id, ["executing"], "completed", { output: { ok: [1, "two"] } }, 21)
      );
      eq(done.output, { ok: [1, "two"] });
      eq(s.getAction(id)?.output, { ok: [1, "two"] });
      const pid = actionIn(s, "proposed");
      const p = s.tx((tx) =>
        tx.transition(pid, ["proposed"], "held", {
          effect: "hold",
          rules: ["large"],
          policy_id: "acme",
          policy_version: 7,
          request_id: "req_1",
          deadline: 999,
          kind: null,
          reason: "needs approval",
        }, 22)
      );
      eq(
        [p.effect, p.rules, p.policy_id, p.policy_version, p.request_id, p.deadline, p.reason],
        ["hold", ["large"], "acme", 7, "req_1", 999, "needs approval"],
      );
    });

    test("every illegal edge is rejected and leaves the state unchanged", (c) => {
      const s = c.open();
      let checked = 0;
      for (const from of ACTION_STATES) {
        for (const to of ACTION_STATES) {
          if (TRANSITIONS[from].includes(to)) continue;
          const id = actionIn(s, from);
          const seq = s.lastEventSeq();
          throwsCode(
            () => s.tx((tx) => tx.transition(id, [from], to, {}, 30)),
            "illegal_transition",
          );
          eq(s.getAction(id)?.state, from, `${from} → ${to}`);
          eq(s.lastEventSeq(), seq);
          checked++;
        }
      }
      const legal = Object.values(TRANSITIONS).reduce((n, tos) => n + tos.length, 0);
      eq([legal, checked], [12, 121 - 12]);
    });

    test("compare-and-set: the current state must be one of `from`", (c) => {
      const s = c.open();
      const id = actionIn(s, "allowed");
      throwsCode(
        () => s.tx((tx) => tx.transition(id, ["held"], "approved", {}, 30)),
        "illegal_transition",
        "is allowed",
      );
      throwsCode(
        () => s.tx((tx) => tx.transition("act_nope", ["allowed"], "executing", {}, 30)),
        "not_found",
      );
    });

    test("at-most-once: allowed → executing twice fails the second, also across instances", (c) => {
      const a = c.open();
      const b = c.open();
      const id = actionIn(a, "allowed");
      a.tx((tx) => tx.transition(id, ["allowed", "approved"], "executing", {}, 40));
      throwsCode(
        () => b.tx((tx) => tx.transition(id, ["allowed", "approved"], "executing", {}, 41)),
        "illegal_transition",
        "is executing",
      );
      throwsCode(
        () => a.tx((tx) => tx.transition(id, ["allowed"], "executing", {}, 42)),
        "illegal_transition",
      );
      eq(a.events({ actionId: id, types: ["action.executing"] }).length, 1);
    });

    test("a throw rolls back rows and events, and listeners hear nothing", (c) => {
      const s = c.open();
      actionIn(s, "allowed");
      const heard: EventRecord[][] = [];
      s.onCommit((e) => heard.push(e));
      const seq = s.lastEventSeq();
      const boom = new Error("boom");
      try {
        s.tx((tx) => {
          session(tx, "ses_rb");
          tx.insertAction({
            id: "act_rb",
            session_id: "ses_rb",
            project: "acme",
            tool: "t",
            args: {},
            origin: "hook",
            at: 50,
          });
          tx.addCounter("k", 1, 50, "act_rb");
          throw boom;
        });
        ok(false, "should throw");
      } catch (e) {
        ok(e === boom, "rethrows the original error");
      }
      eq(s.getAction("act_rb"), null);
      eq(s.getSession("ses_rb"), null);
      eq(s.counterCount("k", 0), 0);
      eq(s.lastEventSeq(), seq);
      eq(heard.length, 0);
      actionIn(s, "denied");
      eq(s.verifyAudit().ok, true);
      eq(heard.length, 1);
    });

    test("nested tx throws; a leaked StoreTx cannot write; async callbacks are refused", (c) => {
      const s = c.open();
      throwsCode(() => s.tx(() => s.tx(() => 1)), "internal_error", "nested");
      let leaked: Parameters<Parameters<typeof s.tx>[0]>[0] | undefined;
      s.tx((tx) => {
        leaked = tx;
      });
      throwsCode(() => leaked!.addCounter("k", 1, 1, "a"), "internal_error");
      throwsCode(() => s.tx(async () => {}), "internal_error", "promise");
      eq(s.lastEventSeq(), 0);
      eq(s.tx(() => 42), 42);
    });

    test("onCommit gets each committed tx's events in order; a throwing listener is ignored", (c) => {
      const s = c.open();
      const heard: number[][] = [];
      s.onCommit(() => {
        throw new Error("listener down");
      });
      s.onCommit((events) => heard.push(events.map((e) => e.seq)));
      actionIn(s, "allowed");
      actionIn(s, "proposed");
      eq(heard, [[1, 2, 3], [4]]);
    });

    test("events are contiguous from 1 and hash-chained", (c) => {
      const s = c.open();
      for (const st of Object.keys(PATH_TO) as ActionState[]) actionIn(s, st);
      const events = s.events({});
      eq(events.map((e) => e.seq), events.map((_, i) => i + 1));
      eq(verifyChain(events), { ok: true, checked: events.length });
      eq(s.verifyAudit(), { ok: true, checked: events.length });
      eq(s.lastEventSeq(), events.length);
    });

    auditContract(name, driver, t);
    recordsContract(name, driver, t);
  }
}
