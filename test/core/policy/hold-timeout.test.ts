/**
 * `hold_timeout` in the policy language: the timeout of holds whose rule
 * gives none; 0 means a hold is rejected at once (approval_required), the
 * equivalent of Lodestar's default approval_timeout_ms: 0.
 */
import { expect, test } from "bun:test";
import { compilePolicy } from "../../../src/core/policy/compile.ts";
import { evaluate } from "../../../src/core/policy/evaluate.ts";
import { parsePolicyDocument } from "../../../src/core/policy/schema.ts";

const KEY = "ed25519:A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";
const counters = { spent: () => 0, hits: () => 0 };
const policy = (extra: Record<string, unknown>, rules: unknown[]) =>
  compilePolicy(parsePolicyDocument(
    JSON.stringify({
      policy: "p",
      version: 1,
      default: "deny",
      approvers: { alice: { key: KEY, roles: ["ops"] } },
      rules,
      ...extra,
    }),
    "p.json",
  ));
const decide = (p: ReturnType<typeof compilePolicy>, tool: string) =>
  evaluate(p, { tool, args: {} }, { now: 0, counters });

test("hold_timeout 0: a hold is rejected at once as approval_required; allows and denies unchanged", () => {
  const p = policy({ hold_timeout: 0 }, [
    { id: "deploys", tool: "deploy", effect: "hold" }, // no approval needed under hold_timeout 0
    { id: "pays", tool: "pay", effect: "hold", approval: { quorum: 1, roles: ["ops"] } },
    { id: "reads", tool: "read", effect: "allow" },
  ]);
  expect(decide(p, "deploy")).toMatchObject({
    effect: "deny",
    kind: "approval_required",
    rules: ["deploys"],
  });
  expect(decide(p, "deploy").reason).toContain("hold_timeout: 0");
  expect(decide(p, "pay")).toMatchObject({ effect: "deny", kind: "approval_required" });
  expect(decide(p, "read").effect).toBe("allow");
  expect(decide(p, "other")).toMatchObject({ effect: "deny", kind: "policy_denied" });
});

test("a rule's own timeout wins over hold_timeout; hold_timeout wins over the gate's default", () => {
  const p = policy({ hold_timeout: "300ms" }, [
    { id: "a", tool: "a", effect: "hold", approval: { quorum: 1, roles: ["ops"] } },
    { id: "b", tool: "b", effect: "hold", approval: { quorum: 1, roles: ["ops"], timeout: "1h" } },
  ]);
  expect(decide(p, "a").approvals[0]!.timeout_ms).toBe(300);
  expect(decide(p, "b").approvals[0]!.timeout_ms).toBe(3_600_000);
  const none = policy({}, [{
    id: "a",
    tool: "a",
    effect: "hold",
    approval: { quorum: 1, roles: ["ops"] },
  }]);
  expect(decide(none, "a").approvals[0]!.timeout_ms).toBeNull();
});

test("a hold rule without approval is refused unless hold_timeout is 0; hold_timeout must be 0 or a duration", () => {
  expect(() => policy({}, [{ id: "a", tool: "a", effect: "hold" }])).toThrow(
    /rules\[0\]\.approval: a "hold" rule needs "approval"/,
  );
  expect(() => policy({ hold_timeout: "5m" }, [{ id: "a", tool: "a", effect: "hold" }])).toThrow(
    /needs "approval"/,
  );
  expect(() => policy({ hold_timeout: 5 }, [])).toThrow(/hold_timeout/);
  expect(() => policy({ hold_timeout: "0s" }, [])).toThrow(/hold_timeout/);
});
