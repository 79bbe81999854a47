/** Records other than the action state machine: counters, approvals, sessions, codec, concurrency. */
import type { StoreTx } from "../../src/app/ports/store.ts";
import type { ActionState } from "../../src/core/action.ts";
import { nodeAead } from "../../src/platform/aead.ts";
import { createPayloadCodec } from "../../src/store/payload-codec.ts";
import { eq, ok, type TestApi, throwsCode } from "./assert.ts";
import { actionIn, type Backend, type Ctx, KEY_A, KEY_B, session, withCtx } from "./harness.ts";

const EVIL = "'; DROP TABLE actions; --";

function request(tx: StoreTx, id: string, actionId: string) {
  return tx.insertRequest({
    id,
    action_id: actionId,
    requirements: [{ rule: "large", quorum: 2, roles: ["finance"], timeout_ms: null }],
    rules: ["large"],
    policy_id: "acme",
    policy_version: 7,
    action_digest: "sha256:" + "a".repeat(64),
    deadline: 5000,
    at: 100,
  });
}

function resolution(requestId: string, nonce: string) {
  return {
    request_id: requestId,
    approver: "alice",
    decision: "approve" as const,
    nonce,
    document: `{"nonce":"${nonce}"}`,
    document_sha256: "b".repeat(64),
    at: 200,
  };
}

/** A new send_payment action of session ses_1, proposed at 10. */
function payment(id: string, args: Record<string, unknown>) {
  return {
    id,
    session_id: "ses_1",
    project: "acme",
    tool: "send_payment",
    args,
    origin: "hook" as const,
    at: 10,
  };
}

export function recordsContract(name: string, driver: Backend, t: TestApi): void {
  const test = (n: string, fn: (c: Ctx) => void) =>
    t.test(`${name}: ${n}`, () => withCtx(driver, fn));

  test("counters sum and count strictly inside the window, per key", (c) => {
    const s = c.open();
    const id = actionIn(s, "allowed");
    s.tx((tx) => {
      tx.addCounter("usd|project|acme", 10, 100, id);
      tx.addCounter("usd|project|acme", 2.5, 200, id);
      tx.addCounter("usd|project|acme", 30, 300, id);
      tx.addCounter("other", 1000, 250, id);
      eq(tx.counterSum("usd|project|acme", 150), 32.5, "visible inside the tx");
    });
    eq(s.counterSum("usd|project|acme", 0), 42.5);
    eq(s.counterSum("usd|project|acme", 200), 30);
    eq(s.counterCount("usd|project|acme", 199), 2);
    eq(s.counterCount("usd|project|acme", 300), 0);
    eq(s.counterSum("missing", 0), 0);
    throwsCode(() => s.tx((tx) => tx.addCounter("k", NaN, 1, id)), "invalid_argument");
  });

  test("approval requests: insert, get, list with paging, resolve once", (c) => {
    const s = c.open();
    const a1 = actionIn(s, "held", { args: { amount: 500 } });
    const a2 = actionIn(s, "held");
    const r1 = s.tx((tx) => request(tx, "req_1", a1));
    s.tx((tx) => request(tx, "req_2", a2));
    eq([r1.args, r1.tool, r1.session_id, r1.state, r1.resolved_at], [
      { amount: 500 },
      "send_payment",
      "ses_1",
      "pending",
      null,
    ]);
    eq(r1.requirements, [{ rule: "large", quorum: 2, roles: ["finance"], timeout_ms: null }]);
    eq(s.getRequest("req_1"), r1);
    eq(s.listRequests({ state: "pending" }).map((r) => r.id), ["req_1", "req_2"]);
    eq(s.listRequests({ limit: 1, after: "req_1" }).map((r) => r.id), ["req_2"]);
    s.tx((tx) => tx.resolveRequest("req_1", "approved", 300, { approvers: ["alice"] }));
    eq([s.getRequest("req_1")?.state, s.getRequest("req_1")?.resolved_at], ["approved", 300]);
    eq(s.listRequests({ state: "pending" }).map((r) => r.id), ["req_2"]);
    throwsCode(
      () => s.tx((tx) => tx.resolveRequest("req_1", "expired", 301)),
      "request_closed",
      "approved",
    );
    throwsCode(() => s.tx((tx) => tx.resolveRequest("req_x", "expired", 301)), "request_not_found");
    eq(s.events({ types: ["request.approved"] })[0]?.payload, {
      request_id: "req_1",
      approvers: ["alice"],
    });
    eq(s.getRequest("nope"), null);
  });

  test("a request read by id equals the same request read in a list", (c) => {
    const s = c.open();
    const a = actionIn(s, "held", { args: { amount: 7, memo: EVIL } });
    s.tx((tx) => request(tx, "req_1", a));
    eq(s.getRequest("req_1"), s.listRequests({})[0]);
    s.tx((tx) => eq(tx.getRequest("req_1"), s.listRequests({})[0], "inside a transaction"));
  });

  test("listResolutions: a request's resolutions in the order they were accepted, only its own", (c) => {
    const s = c.open();
    const a = actionIn(s, "held");
    const b = actionIn(s, "held");
    s.tx((tx) => request(tx, "req_a", a));
    s.tx((tx) => request(tx, "req_b", b));
    const ids: number[] = [];
    for (
      const [req, nonce] of [["req_a", "n1"], ["req_b", "n2"], ["req_a", "n3"], ["req_a", "n4"]]
    ) {
      const r = s.tx((tx) => tx.insertResolution(resolution(req!, nonce!)));
      if (req === "req_a") ids.push(r.id);
    }
    eq(s.listResolutions("req_a").map((r) => r.id), ids);
    eq(s.listResolutions("req_a").map((r) => r.nonce), ["n1", "n3", "n4"]);
    eq(s.listResolutions("req_b").map((r) => r.nonce), ["n2"]);
    eq(s.listResolutions("req_none"), []);
  });

  test("actionReason: the action's reason alone, null without one", (c) => {
    const s = c.open();
    const a = actionIn(s, "proposed");
    eq(s.actionReason(a), null);
    s.tx((tx) =>
      tx.transition(a, ["proposed"], "denied", { kind: "policy_denied", reason: EVIL }, 12)
    );
    eq(s.actionReason(a), EVIL);
    eq(s.actionReason(a), s.getAction(a)?.reason);
    eq(s.actionReason("act_missing"), null);
  });

  test("resolutions: a nonce is used once", (c) => {
    const s = c.open();
    const a = actionIn(s, "held");
    s.tx((tx) => request(tx, "req_1", a));
    const r = s.tx((tx) => tx.insertResolution(resolution("req_1", "n1")));
    ok(r.id > 0);
    eq(s.nonceUsed("n1"), true);
    eq(s.nonceUsed("n2"), false);
    const seq = s.lastEventSeq();
    throwsCode(() => s.tx((tx) => tx.insertResolution(resolution("req_1", "n1"))), "nonce_reused");
    eq(s.lastEventSeq(), seq);
    eq(s.listResolutions("req_1"), [r]);
    throwsCode(
      () => s.tx((tx) => tx.insertResolution(resolution("req_x", "n3"))),
      "request_not_found",
    );
  });

  test("insertResolution given the request's action writes what the lookup would", (c) => {
    const s = c.open();
    const a = actionIn(s, "held");
    s.tx((tx) => request(tx, "req_1", a));
    const looked = s.tx((tx) => tx.insertResolution(resolution("req_1", "n1")));
    const given = s.tx((tx) => tx.insertResolution(resolution("req_1", "n2"), a));
    const same = (r: typeof given) => ({ ...r, id: 0, nonce: "", document: "" });
    eq(same(given), same(looked));
    const accepted = s.events({ types: ["resolution.accepted"] });
    eq(accepted.map((e) => [e.action_id, e.payload.nonce]), [[a, "n1"], [a, "n2"]]);
    eq(s.listResolutions("req_1"), [looked, given]);
    throwsCode(
      () => s.tx((tx) => tx.insertResolution(resolution("req_1", "n1"), a)),
      "nonce_reused",
    );
  });

  test("accepted policy version never lowers", (c) => {
    const s = c.open();
    eq(s.acceptedPolicyVersion("acme"), null);
    s.tx((tx) => tx.acceptPolicyVersion("acme", 5, "a".repeat(64), 1));
    s.tx((tx) => tx.acceptPolicyVersion("acme", 3, "b".repeat(64), 2));
    eq(s.acceptedPolicyVersion("acme"), 5);
    s.tx((tx) => tx.acceptPolicyVersion("acme", 7, "c".repeat(64), 3));
    eq(s.acceptedPolicyVersion("acme"), 7);
    eq(s.acceptedPolicyVersion("other"), null);
    eq(s.events({ types: ["policy.accepted"] }).map((e) => e.payload.version), [5, 7]);
  });

  test("reconcile marks executing actions of dead or stale sessions unknown, not others", (c) => {
    const s = c.open();
    s.tx((tx) => {
      session(tx, "ses_dead", 111, 1000);
      session(tx, "ses_live", 222, 1000);
      session(tx, "ses_stale", 333, 1000);
      tx.heartbeat("ses_live", 9000);
      tx.heartbeat("ses_dead", 9000);
    });
    const dead = actionIn(s, "executing", { session: "ses_dead" });
    const deadAllowed = actionIn(s, "allowed", { session: "ses_dead" });
    const live = actionIn(s, "executing", { session: "ses_live" });
    const stale = actionIn(s, "executing", { session: "ses_stale" });
    const ids = s.reconcile(10_000, 5000, (pid) => pid !== 111);
    eq(ids.sort(), [dead, stale].sort());
    const d = s.getAction(dead)!;
    eq([d.state, d.kind], ["unknown", "outcome_unknown"]);
    eq(s.getAction(stale)?.state, "unknown");
    eq(s.getAction(live)?.state, "executing");
    eq(s.getAction(deadAllowed)?.state, "allowed");
    eq(s.getSession("ses_dead")?.ended_at, 10_000);
    eq(s.getSession("ses_live")?.ended_at, null);
    eq(s.reconcile(10_001, 5000, () => true), []);
    eq(s.verifyAudit().ok, true);
  });

  test("sessions and tool registration", (c) => {
    const s = c.open();
    s.tx((tx) => {
      session(tx);
      tx.registerTool("ses_1", "deploy", 2);
      tx.registerTool("ses_1", "deploy", 3);
      tx.heartbeat("ses_1", 5);
    });
    eq(s.isToolRegistered("ses_1", "deploy"), true);
    eq(s.isToolRegistered("ses_1", "shell"), false);
    eq(s.events({ types: ["tool.registered"] }).length, 1);
    s.tx((tx) => tx.endSession("ses_1", 9));
    eq(s.getSession("ses_1"), {
      id: "ses_1",
      project: "acme",
      pid: 4242,
      started_at: 1,
      heartbeat_at: 5,
      ended_at: 9,
    });
  });

  test("run requests are claimed once", (c) => {
    const s = c.open();
    const a = actionIn(s, "approved");
    s.tx((tx) => tx.insertRunRequest({ id: "run_1", action_id: a, session_id: "ses_1", at: 5 }));
    eq(s.pendingRunRequests("ses_1").map((r) => r.id), ["run_1"]);
    eq(s.pendingRunRequests("ses_other"), []);
    eq(s.tx((tx) => tx.claimRunRequest("run_1", 6)), true);
    eq(s.tx((tx) => tx.claimRunRequest("run_1", 7)), false);
    eq(s.tx((tx) => tx.claimRunRequest("run_x", 7)), false);
    eq(s.pendingRunRequests("ses_1"), []);
  });

  test("idempotency keys find their action and cannot be reused", (c) => {
    const s = c.open();
    s.tx((tx) => {
      session(tx);
      tx.insertAction({
        id: "act_i",
        session_id: "ses_1",
        project: "acme",
        tool: "t",
        args: {},
        origin: "declared",
        idempotency_key: "idem-1",
        correlation_id: "corr-1",
        at: 1,
      });
    });
    eq(s.findActionByIdempotencyKey("idem-1")?.id, "act_i");
    eq(s.findActionByIdempotencyKey("idem-2"), null);
    throwsCode(() =>
      s.tx((tx) =>
        tx.insertAction({
          id: "act_j",
          session_id: "ses_1",
          project: "acme",
          tool: "t",
          args: {},
          origin: "hook",
          idempotency_key: "idem-1",
          at: 2,
        })
      ), "invalid_argument");
  });

  test("via is stored, and findHeldRepeat finds the newest held action of that face", (c) => {
    const s = c.open();
    const via = "mcp stdio: node server.js";
    const insert = (id: string, at: number, v: string | null, hold: boolean) =>
      s.tx((tx) => {
        session(tx);
        tx.insertAction({
          id,
          session_id: "ses_1",
          project: "acme",
          tool: "fs.write_file",
          args: { path: "/a", content: "x" },
          origin: "hook",
          via: v,
          at,
        });
        if (hold) {
          tx.transition(id, ["proposed"], "held", {
            effect: "hold",
            request_id: `req_${id}`,
            deadline: at + 1000,
          }, at);
        } else tx.transition(id, ["proposed"], "allowed", { effect: "allow" }, at);
      });
    insert("act_r1", 1, via, true);
    insert("act_r2", 2, via, true);
    insert("act_r3", 3, via, false);
    insert("act_r4", 4, "mcp http: https://other/mcp", true);
    insert("act_r5", 5, null, true);
    eq(s.getAction("act_r1")?.via, via);
    eq(s.getAction("act_r5")?.via, null);
    const args = { content: "x", path: "/a" }; // key order does not matter
    eq(s.findHeldRepeat({ tool: "fs.write_file", args, via })?.id, "act_r2");
    eq(s.findHeldRepeat({ tool: "fs.read", args, via }), null);
    eq(s.findHeldRepeat({ tool: "fs.write_file", args: { path: "/b", content: "x" }, via }), null);
    eq(s.findHeldRepeat({ tool: "fs.write_file", args, via: "mcp stdio: x" }), null);
  });

  test("insertAction with steps = insertAction then each transition (one row write)", (c) => {
    const s = c.open();
    const proposed = (id: string) => payment(id, { amount: 5, to: "bob" });
    const allow = {
      effect: "allow" as const,
      rules: ["small"],
      policy_id: "acme",
      policy_version: 7,
    };
    const stepped = s.tx((tx) => {
      session(tx, "ses_1");
      return tx.insertAction(proposed("act_one"), [
        { to: "allowed", patch: allow, payload: { by_default: true } },
        { to: "executing", patch: { executor_session: "ses_1" } },
      ]);
    });
    s.tx((tx) => {
      tx.insertAction(proposed("act_two"));
      tx.transition("act_two", ["proposed"], "allowed", allow, 10, { by_default: true });
      tx.transition("act_two", ["allowed"], "executing", { executor_session: "ses_1" }, 10);
    });
    const strip = (a: unknown) => ({ ...(a as Record<string, unknown>), id: "" });
    eq(strip(stepped), strip(s.getAction("act_one")), "the returned record is the stored row");
    eq(strip(s.getAction("act_one")), strip(s.getAction("act_two")), "same row either way");
    const evs = (id: string) =>
      s.events({ actionId: id }).map((e) => ({ type: e.type, payload: e.payload, at: e.at }));
    eq(evs("act_one"), evs("act_two"), "same events either way");
    eq(evs("act_one").map((e) => e.type), [
      "action.proposed",
      "action.allowed",
      "action.executing",
    ]);
    const denied = s.tx((tx) =>
      tx.insertAction(proposed("act_three"), [{
        to: "denied",
        patch: { effect: "deny", kind: "policy_denied", reason: "no" },
      }])
    );
    eq([denied.state, denied.kind, denied.reason], ["denied", "policy_denied", "no"]);
    // Steps obey the state machine, carry no output or clear payloads, and a refusal writes nothing.
    throwsCode(
      () =>
        s.tx((tx) =>
          tx.insertAction(proposed("act_bad"), [{ to: "completed", patch: { output: 1 } }])
        ),
      "illegal_transition",
    );
    throwsCode(
      () =>
        s.tx((tx) =>
          tx.insertAction(proposed("act_bad"), [{
            to: "allowed",
            patch: {},
            payload: { args: {} },
          }])
        ),
      "invalid_argument",
    );
    eq(s.getAction("act_bad"), null);
  });

  test("transition given the action's record returns exactly the stored row", (c) => {
    const s = c.open();
    const proposed = (id: string) =>
      payment(id, { amount: 5, to: "bob", nested: { list: [1, "two", null] } });
    const executing = (id: string) =>
      s.tx((tx) => {
        if (!tx.getSession("ses_1")) session(tx, "ses_1");
        return tx.insertAction(proposed(id), [
          { to: "allowed", patch: { effect: "allow", rules: ["small"] } },
          { to: "executing", patch: { executor_session: "ses_1" } },
        ]);
      });
    const strip = (a: unknown) => ({ ...(a as Record<string, unknown>), id: "" });
    const outcomes = [
      ["completed", { output: { ok: true, text: "d\u00e9j\u00e0 vu", n: [1.5, -2] } }],
      ["failed", {
        kind: "execution_failed",
        reason: "the tool failed",
        detail: "x".repeat(70_000),
      }],
      ["unknown", { kind: "outcome_unknown", reason: "lost", detail: null }],
    ] as const;
    for (const [to, patch] of outcomes) {
      const byRecord = executing(`act_rec_${to}`);
      const byId = executing(`act_id_${to}`);
      const a = s.tx((tx) => tx.transition(byRecord, ["executing"], to, patch, 20, { n: 1 }));
      const b = s.tx((tx) => tx.transition(byId.id, ["executing"], to, patch, 20, { n: 1 }));
      eq(a, s.getAction(a.id), `${to}: the returned record is the stored row`);
      eq(strip(a), strip(b), `${to}: the same record as from its id`);
      eq(
        s.events({ actionId: a.id }).map((e) => [e.type, e.payload]),
        s.events({ actionId: b.id }).map((e) => [e.type, e.payload]),
        `${to}: the same events`,
      );
    }
    // A record a transition returned moves on again, as its id would: the same row, the same events.
    const chain = (id: string, byRecord: boolean) => {
      let r = s.tx((tx) => {
        if (!tx.getSession("ses_1")) session(tx, "ses_1");
        return tx.insertAction(proposed(id), [{ to: "allowed", patch: { effect: "allow" } }]);
      });
      const steps = [
        ["executing", { executor_session: "ses_1" }],
        ["completed", { output: { n: 2 } }],
      ] as const;
      let from: ActionState = "allowed";
      for (const [to, patch] of steps) {
        const at = from;
        r = s.tx((tx) => tx.transition(byRecord ? r : r.id, [at], to, patch, 50));
        from = to;
      }
      return r;
    };
    const viaRecords = chain("act_chain_rec", true);
    const viaIds = chain("act_chain_id", false);
    eq(viaRecords, s.getAction("act_chain_rec"), "a record's record: the stored row");
    eq(strip(viaRecords), strip(viaIds), "the same record as from its id");
    eq(
      s.events({ actionId: viaRecords.id }).map((e) => [e.type, e.action_id, e.payload]),
      s.events({ actionId: viaIds.id }).map((e) => [e.type, viaRecords.id, e.payload]),
      "the same events, each on its own action",
    );
    // A stale record (its row has moved on) is refused by the compare-and-set, as an id is.
    const moved = executing("act_moved");
    s.tx((tx) =>
      tx.transition(moved.id, ["executing"], "unknown", { kind: "outcome_unknown" }, 30)
    );
    throwsCode(
      () => s.tx((tx) => tx.transition(moved, ["executing"], "completed", { output: 1 }, 31)),
      "illegal_transition",
    );
    eq(s.getAction("act_moved")?.state, "unknown");
    // A record in another state than the one source: read back as with an id.
    const held = s.tx((tx) => tx.insertAction(proposed("act_held")));
    const denied = s.tx((tx) =>
      tx.transition({ ...held, state: "held" }, ["proposed"], "denied", { reason: "no" }, 40)
    );
    eq(denied, s.getAction("act_held"));
    eq(s.verifyAudit().ok, true);
  });

  test("event queries: afterSeq, limit, actionId, types, eventsSince; payloads carry no args", (c) => {
    const s = c.open();
    const a = actionIn(s, "completed", { args: { secret: "hunter2-SECRET" } });
    const b = actionIn(s, "executing");
    s.tx((tx) => tx.transition(b, ["executing"], "completed", { output: "OUT-SECRET" }, 77));
    eq(s.events({ afterSeq: 2, limit: 2 }).map((e) => e.seq), [3, 4]);
    eq(s.events({ actionId: a }).map((e) => e.type), [
      "action.proposed",
      "action.allowed",
      "action.executing",
      "action.completed",
    ]);
    eq(s.events({ types: [] }), []);
    eq(s.eventsSince(77).map((e) => e.type), ["action.completed"]);
    const all = JSON.stringify(s.events({}));
    ok(!all.includes("hunter2") && !all.includes("OUT-SECRET"), "no args or outputs in events");
    ok(all.includes("output_digest"));
    const d = actionIn(s, "proposed");
    throwsCode(
      () => s.tx((tx) => tx.transition(d, ["proposed"], "denied", {}, 1, { args: {} })),
      "invalid_argument",
    );
  });

  test("SQL-looking strings are stored and read back verbatim", (c) => {
    const s = c.open();
    s.tx((tx) => {
      session(tx, EVIL);
      tx.insertAction({
        id: EVIL,
        session_id: EVIL,
        project: EVIL,
        tool: EVIL,
        args: { [EVIL]: EVIL, q: '"\\\u0000\u2028' },
        origin: "hook",
        idempotency_key: EVIL,
        at: 1,
      });
      tx.transition(EVIL, ["proposed"], "denied", {
        reason: EVIL,
        rules: [EVIL],
        kind: "policy_denied",
      }, 2);
    });
    const a = s.getAction(EVIL)!;
    eq([a.tool, a.project, a.reason, a.rules, a.args], [EVIL, EVIL, EVIL, [EVIL], {
      [EVIL]: EVIL,
      q: '"\\\u0000\u2028',
    }]);
    eq(s.findActionByIdempotencyKey(EVIL)?.id, EVIL);
    eq(s.verifyAudit().ok, true);
  });

  test("payload codec: encrypted roundtrip, ciphertext at rest, wrong key and no key fail loudly", (c) => {
    const codec = createPayloadCodec({ key: KEY_A, aead: nodeAead });
    const s = c.open(codec);
    const id = actionIn(s, "executing", { args: { card: "4111-SECRET" } });
    s.tx((tx) =>
      tx.transition(id, ["executing"], "completed", { output: { receipt: "R-SECRET" } }, 9)
    );
    eq(s.getAction(id)?.args, { card: "4111-SECRET" });
    eq(s.getAction(id)?.output, { receipt: "R-SECRET" });
    const raw = c.raw();
    const row = raw.get("SELECT args, output FROM actions WHERE id = ?", [id])!;
    raw.close();
    const args = row.args as Uint8Array;
    eq(args[0], 1, "codec version byte");
    ok(!new TextDecoder().decode(args).includes("SECRET"), "ciphertext at rest");
    // A wrong key is refused when the store opens (key check), before any row is read.
    throwsCode(
      () => c.open(createPayloadCodec({ key: KEY_B, aead: nodeAead })),
      "data_key_mismatch",
    );
    const none = c.open();
    throwsCode(() => none.getAction(id), "payload_key_missing");
    throwsCode(
      () => createPayloadCodec({ key: new Uint8Array(16), aead: nodeAead }),
      "key_invalid",
    );
  });

  test("payload codec: blobs swapped between rows fail the AAD check", (c) => {
    const s = c.open(createPayloadCodec({ key: KEY_A, aead: nodeAead }));
    const a = actionIn(s, "allowed", { args: { to: "alice" } });
    const b = actionIn(s, "allowed", { args: { to: "mallory" } });
    const raw = c.raw();
    const ba = raw.get("SELECT args FROM actions WHERE id = ?", [a])!.args!;
    const bb = raw.get("SELECT args FROM actions WHERE id = ?", [b])!.args!;
    raw.run("UPDATE actions SET args = ? WHERE id = ?", [bb, a]);
    raw.run("UPDATE actions SET args = ? WHERE id = ?", [ba, b]);
    raw.close();
    throwsCode(() => s.getAction(a), "payload_decrypt_failed", `actions:${a}:args`);
    throwsCode(() => s.getAction(b), "payload_decrypt_failed");
  });

  test("plaintext store: version byte 0, readable by a keyed store too", (c) => {
    const s = c.open();
    const id = actionIn(s, "allowed", { args: { n: 1 } });
    const raw = c.raw();
    eq((raw.get("SELECT args FROM actions WHERE id = ?", [id])!.args as Uint8Array)[0], 0);
    raw.close();
    eq(c.open(createPayloadCodec({ key: KEY_A, aead: nodeAead })).getAction(id)?.args, { n: 1 });
  });

  test("reopen after close sees everything", (c) => {
    const s = c.open();
    const id = actionIn(s, "completed");
    s.tx((tx) => tx.acceptPolicyVersion("acme", 3, "a".repeat(64), 1));
    const events = s.events({});
    s.close();
    const r = c.open();
    eq(r.getAction(id)?.state, "completed");
    eq(r.acceptedPolicyVersion("acme"), 3);
    eq(r.events({}), events);
    actionIn(r, "denied");
    eq(r.verifyAudit().ok, true);
  });

  test("two instances on one file see each other's commits and serialise writes", (c) => {
    const a = c.open(undefined, 50);
    const b = c.open(undefined, 50);
    const x = actionIn(a, "allowed");
    eq(b.getAction(x)?.state, "allowed");
    const y = actionIn(b, "held");
    eq(a.getAction(y)?.state, "held");
    actionIn(a, "denied");
    actionIn(b, "denied");
    eq(a.verifyAudit(), b.verifyAudit());
    eq(a.verifyAudit().ok, true);
    // While `a` holds the write lock, `b` cannot begin a write: store_busy after its timeout.
    // (`a` reads first: PostgreSQL's writer lock goes out with a transaction's
    // first answered statement, SQLite's is taken at BEGIN IMMEDIATE.)
    a.tx((ta) => {
      eq(ta.getAction(x)?.state, "allowed");
      throwsCode(() => b.tx((tx) => tx.addCounter("k", 1, 1, x)), "store_busy");
    });
    eq(b.counterCount("k", 0), 0);
    const seqs = a.events({}).map((e) => e.seq);
    eq(seqs, seqs.map((_, i) => i + 1));
  });
}
