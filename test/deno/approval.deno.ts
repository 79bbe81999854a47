/**
 * The resolution forgery corpus under Deno. Run: deno test --allow-read --no-check test/deno/
 */
import { tallyQuorum, verifyResolution } from "../../src/core/approval/resolution.ts";
import type { ResolutionContext } from "../../src/core/approval/resolution.ts";

// Typed locally so that `tsc` (Bun types) also checks this file; Deno provides it at run time.
declare const Deno: {
  test(name: string, fn: () => void): void;
  readTextFileSync(path: URL): string;
};

function assertEq<T>(actual: T, expected: T, msg: string): void {
  if (actual !== expected) {
    throw new Error(`${msg}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}
const readJson = (p: string) => JSON.parse(Deno.readTextFileSync(new URL(p, import.meta.url)));
const FX = readJson("../vectors/resolutions/fixture.json");
const CASES = readJson("../vectors/resolutions/cases.json").cases;

function ctxFor(context: Record<string, unknown> = {}): ResolutionContext {
  return {
    request: "request" in context
      ? null
      : { ...FX.request, state: context.request_state ?? "pending" },
    approvers: FX.approvers,
    now: (context.now as number) ?? FX.now,
    skewMs: FX.skew_ms,
    maxLifetimeMs: FX.max_lifetime_ms,
    nonceUsed: (n: string) => FX.used_nonces.includes(n),
  };
}

Deno.test("resolution corpus", () => {
  if (CASES.length < 30) throw new Error("corpus too small");
  for (const c of CASES) {
    const r = verifyResolution(c.document, ctxFor(c.context));
    const got = r.ok ? "ok" : r.code;
    assertEq(got, c.expect.ok ? "ok" : c.expect.code, c.name);
  }
});

Deno.test("quorum: deny wins", () => {
  const req = {
    id: "r",
    requirements: [{ rule: "x", quorum: 2, roles: ["finance"], timeout_ms: null }],
  };
  const res = (approver: string, decision: "approve" | "deny") => ({
    request_id: "r",
    approver,
    decision,
  });
  assertEq(
    tallyQuorum(req, [res("alice", "approve"), res("carol", "approve")], FX.approvers).state,
    "approved",
    "quorum",
  );
  assertEq(
    tallyQuorum(req, [res("alice", "approve"), res("carol", "deny")], FX.approvers).state,
    "rejected",
    "deny",
  );
});
