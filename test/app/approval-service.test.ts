/**
 * The resolution forgery corpus through the real approval service and a real
 * store: every refused resolution changes nothing but is in the audit log;
 * valid ones are accepted and counted.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { submitResolution } from "../../src/app/approval-service.ts";
import type { Store } from "../../src/app/ports/store.ts";
import { sha256Hex } from "../../src/core/digest.ts";
import { compilePolicy } from "../../src/core/policy/compile.ts";
import { parsePolicyDocument } from "../../src/core/policy/schema.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";

const read = (p: string) => JSON.parse(readFileSync(join(import.meta.dir, p), "utf8"));
const FX = read("../vectors/resolutions/fixture.json");
const CASES = read("../vectors/resolutions/cases.json").cases as Array<{
  name: string;
  document: string;
  context?: { request?: null; request_state?: string; now?: number };
  expect: { ok?: boolean; code?: string };
}>;

// The loader refuses small-order approver keys such as the corpus's "mallory";
// they are injected here so the resolution check is exercised as a second line.
const loaded = compilePolicy(parsePolicyDocument(
  JSON.stringify({
    policy: "acme-agents",
    version: 7,
    default: "deny",
    approvers: { alice: FX.approvers.alice, carol: FX.approvers.carol },
    rules: [{
      id: "large-payments",
      tool: "send_payment",
      effect: "hold",
      approval: { quorum: 2, roles: ["finance"] },
    }],
  }),
  "fixture.json",
));
const policy = {
  ...loaded,
  approvers: new Map(
    Object.entries(FX.approvers as Record<string, { key: string; roles: string[] }>),
  ),
};

/** A store holding the fixture's request, pending, its action held; and the used nonce. */
function fixtureStore(now: number): { store: Store; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), "warrant-approvals-"));
  const store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  const r = FX.request;
  store.tx((tx) => {
    tx.openSession({ id: r.session_id, project: "acme", pid: 1, at: r.created_at });
    tx.insertAction({
      id: r.action_id,
      session_id: r.session_id,
      project: "acme",
      tool: r.tool,
      args: r.args,
      origin: "hook",
      at: r.created_at,
    });
    tx.insertRequest({
      id: r.id,
      action_id: r.action_id,
      requirements: r.requirements,
      rules: r.rules,
      policy_id: r.policy_id,
      policy_version: r.policy_version,
      action_digest: r.action_digest,
      deadline: r.deadline,
      at: r.created_at,
    });
    tx.transition(r.action_id, ["proposed"], "held", {
      effect: "hold",
      request_id: r.id,
      deadline: r.deadline,
    }, r.created_at);
    for (const n of FX.used_nonces) {
      tx.insertResolution({
        request_id: r.id,
        approver: "someone-else",
        decision: "approve",
        nonce: n,
        // A stored row's sha256 is its document's (audit verify checks it).
        document: "{}",
        document_sha256: sha256Hex("{}"),
        at: r.created_at,
      });
    }
  });
  void now;
  return { store, done: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

const logger = { log() {} };

describe("forgery corpus through the approval service and the store", () => {
  for (const c of CASES) {
    if (c.context?.request === null || c.context?.request_state) continue; // covered below and in core tests
    test(c.name, async () => {
      const now = c.context?.now ?? FX.now;
      const { store, done } = fixtureStore(now);
      try {
        const seqBefore = store.lastEventSeq();
        const r = await submitResolution(
          {
            store,
            clock: { now: () => now },
            logger,
            policy: () => policy,
          },
          c.document,
          FX.request.id,
        );
        const action = store.getAction(FX.request.action_id)!;
        const request = store.getRequest(FX.request.id)!;
        const accepted = store.listResolutions(FX.request.id).filter((x) =>
          x.approver !== "someone-else"
        );
        if (c.expect.ok) {
          expect(r.status).toBe("accepted");
          expect(accepted).toHaveLength(1);
          expect(action.state).toBe(
            JSON.parse(c.document).decision === "deny" ? "rejected" : "held",
          );
          return;
        }
        expect(r).toMatchObject({ status: "refused", code: c.expect.code });
        expect(accepted).toHaveLength(0);
        const expired = c.expect.code === "request_expired";
        expect(action.state).toBe(expired ? "expired" : "held");
        expect(request.state).toBe(expired ? "expired" : "pending");
        const refusals = store.events({ afterSeq: seqBefore }).filter((e) =>
          e.type === "resolution.refused"
        );
        expect(refusals).toHaveLength(1);
        expect(refusals[0]!.payload.code).toBe(c.expect.code);
      } finally {
        done();
      }
    });
  }

  test("two valid approvals reach quorum: request approved and action approved in one commit", async () => {
    const { store, done } = fixtureStore(FX.now);
    try {
      const valid = CASES.filter((c) =>
        c.expect.ok && JSON.parse(c.document).decision === "approve"
      );
      const approvers = new Set<string>();
      for (const c of valid) {
        const who = JSON.parse(c.document).approver as string;
        if (approvers.has(who)) continue;
        approvers.add(who);
        const r = await submitResolution(
          { store, clock: { now: () => FX.now }, logger, policy: () => policy },
          c.document,
        );
        // The request and resolutions it answers with are what the store now holds.
        if (r.status !== "accepted") throw new Error(`expected accepted, got ${r.status}`);
        expect(r.request).toEqual(store.getRequest(FX.request.id)!);
        expect(r.resolutions).toEqual(store.listResolutions(FX.request.id));
        if (approvers.size === 2) break;
      }
      expect(store.getRequest(FX.request.id)!.state).toBe("approved");
      expect(store.getAction(FX.request.action_id)!.state).toBe("approved");
      expect(store.verifyAudit().ok).toBe(true);
    } finally {
      done();
    }
  });

  test("the same document twice is idempotent", async () => {
    const { store, done } = fixtureStore(FX.now);
    try {
      const doc = CASES.find((c) => c.expect.ok)!.document;
      const deps = { store, clock: { now: () => FX.now }, logger, policy: () => policy };
      expect((await submitResolution(deps, doc)).status).toBe("accepted");
      expect((await submitResolution(deps, doc)).status).toBe("duplicate");
    } finally {
      done();
    }
  });

  test("a document for another request than the URL's is refused", async () => {
    const { store, done } = fixtureStore(FX.now);
    try {
      const doc = CASES.find((c) => c.expect.ok)!.document;
      const r = await submitResolution(
        {
          store,
          clock: { now: () => FX.now },
          logger,
          policy: () => policy,
        },
        doc,
        "req_other",
      );
      expect(r.status).toBe("refused");
    } finally {
      done();
    }
  });
});
