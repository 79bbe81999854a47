/**
 * Approvals re-verified from their signed documents (issue 9): what counts
 * is what verifies, never a state column; a quorum counts distinct keys.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { buildResolution, signResolution } from "../../../src/core/approval/request.ts";
import { tallyQuorum } from "../../../src/core/approval/resolution.ts";
import { holdRequirements, reverifyApprovals } from "../../../src/core/approval/reverify.ts";
import { decodeHex } from "../../../src/core/base64.ts";
import { actionDigest } from "../../../src/core/digest.ts";
import { compilePolicy } from "../../../src/core/policy/compile.ts";
import { parsePolicyDocument, policyIssues } from "../../../src/core/policy/schema.ts";

const read = (p: string) => JSON.parse(readFileSync(new URL(p, import.meta.url), "utf8"));
const FX = read("../../vectors/resolutions/fixture.json");
const SEEDS = read("../../fixtures/keys/test-seeds.json").seeds as Record<string, string>;
const seed = (who: string) => decodeHex(SEEDS[who]!)!;
const REQ = FX.request;
const DIGEST = actionDigest(FX.action_digest_input);

let n = 0;
function doc(
  who: string,
  opts: { decision?: "approve" | "deny"; signer?: string; digest?: string; nonce?: number } = {},
): string {
  const nonce = new Uint8Array(16);
  nonce[0] = opts.nonce ?? ++n;
  nonce[1] = 7;
  const unsigned = buildResolution({
    request: { ...REQ, action_digest: opts.digest ?? REQ.action_digest },
    approver: who,
    decision: opts.decision ?? "approve",
    issuedAt: FX.now - 60_000,
    expiresAt: FX.now + 600_000,
    nonce,
  });
  return JSON.stringify(signResolution(unsigned, seed(opts.signer ?? who)));
}

const run = (documents: string[], approvers = FX.approvers) =>
  reverifyApprovals({
    request: REQ,
    expectedDigest: DIGEST,
    approvers,
    documents,
    skewMs: FX.skew_ms,
  });

describe("reverifyApprovals", () => {
  test("the fixture's digest is the recomputed one", () => {
    expect(REQ.action_digest).toBe(DIGEST);
  });
  test("two valid finance approvals meet the quorum; the lease is the earliest expiry", () => {
    const r = run([doc("alice"), doc("carol")]);
    expect(r.tally.state).toBe("approved");
    expect(r.problems).toEqual([]);
    expect(r.leaseEnd).toBe(FX.now + 600_000);
  });
  test("no documents: pending, whatever a state column says", () => {
    expect(run([]).tally.state).toBe("pending");
  });
  test("a forged or mis-bound document does not count, and says why", () => {
    const cases: Array<[string, string]> = [
      [doc("carol", { signer: "alice" }), "signature does not verify"],
      [doc("carol", { digest: `sha256:${"0".repeat(64)}` }), "digests to"],
      [doc("bob"), "holds no role"],
      [doc("carol").replace('"approver"', '"approver":"carol","approver"'), "duplicate"],
    ];
    for (const [d, why] of cases) {
      const r = run([doc("alice"), d]);
      expect(r.tally.state).toBe("pending");
      expect(r.problems.join("; ")).toContain(why);
    }
  });
  test("the same document twice (one nonce) counts once", () => {
    const d = doc("carol");
    const r = run([doc("alice", { nonce: 200 }), doc("alice", { nonce: 200 }), d]);
    expect(r.problems.join()).toContain("used by another resolution");
    expect(r.tally.state).toBe("approved");
  });
  test("a valid signed deny rejects; a forged one does not", () => {
    expect(run([doc("alice"), doc("carol"), doc("carol", { decision: "deny" })]).tally.state)
      .toBe("rejected");
    expect(
      run([doc("alice"), doc("carol"), doc("carol", { decision: "deny", signer: "bob" })]).tally
        .state,
    ).toBe("approved");
  });
  test("an approval issued after the deadline does not count", () => {
    const late = buildResolution({
      request: REQ,
      approver: "carol",
      decision: "approve",
      issuedAt: REQ.deadline + 120_000,
      expiresAt: REQ.deadline + 600_000,
      nonce: new Uint8Array(16).fill(9),
    });
    const r = run([doc("alice"), JSON.stringify(signResolution(late, seed("carol")))]);
    expect(r.tally.state).toBe("pending");
    expect(r.problems.join()).toContain("after the hold's deadline");
  });
});

describe("a quorum counts distinct keys", () => {
  const aliceKey = FX.approvers.alice.key;
  const twoNames = {
    alice: { key: aliceKey, roles: ["finance"] },
    "alice-backup": { key: aliceKey, roles: ["finance"] },
    carol: FX.approvers.carol,
  };
  const req = {
    id: "r1",
    requirements: [{ rule: "large", quorum: 2, roles: ["finance"], timeout_ms: null }],
  };
  test("one key under two names stays pending, and the tally says so", () => {
    const t = tallyQuorum(req, [
      { request_id: "r1", approver: "alice", decision: "approve" },
      { request_id: "r1", approver: "alice-backup", decision: "approve" },
    ], twoNames);
    expect(t.state).toBe("pending");
    expect(t.progress[0]).toMatchObject({ approvers: ["alice", "alice-backup"], keys: 1 });
    expect(t.progress[0]!.note).toBe("alice and alice-backup share one key: counted once");
  });
  test("signed documents: alice signing as both names is still one key", () => {
    const r = run([doc("alice"), doc("alice-backup", { signer: "alice" })], twoNames);
    expect(r.tally.state).toBe("pending");
    expect(r.tally.progress[0]!.keys).toBe(1);
  });
  test("such a policy is refused, naming both entries", () => {
    const text = JSON.stringify({
      policy: "p",
      version: 1,
      default: "deny",
      approvers: twoNames,
      rules: [{
        id: "h",
        tool: "pay",
        effect: "hold",
        approval: { quorum: 2, roles: ["finance"] },
      }],
    });
    const issues = policyIssues(text, "p.json");
    expect(issues.map((i) => i.message).join()).toContain(
      'approvers "alice" and "alice-backup" have the same public key',
    );
    expect(() => parsePolicyDocument(text, "p.json")).toThrow(/alice-backup/);
  });
});

describe("holdRequirements", () => {
  test("are the policy's own hold rules for the call, not the stored column", () => {
    const p = compilePolicy(parsePolicyDocument(
      JSON.stringify({
        policy: "p",
        version: 1,
        default: "deny",
        approvers: { carol: FX.approvers.carol, alice: FX.approvers.alice },
        rules: [
          {
            id: "big",
            tool: "pay",
            when: { amount: { gt: 100 } },
            effect: "hold",
            approval: { quorum: 2, roles: ["finance"] },
          },
          { id: "small", tool: "pay", when: { amount: { lte: 100 } }, effect: "allow" },
        ],
      }),
      "p.json",
    ));
    expect(holdRequirements(p, "pay", { amount: 500 })).toEqual([
      { rule: "big", quorum: 2, roles: ["finance"], timeout_ms: null },
    ]);
    expect(holdRequirements(p, "pay", { amount: 5 })).toEqual([]);
  });
});
