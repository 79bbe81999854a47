/**
 * The three policy engines of bench/compare.ts (warrant, Cedar, Casbin) give
 * the same decision as the reference semantics (deny beats hold beats allow,
 * default deny) on every call of the benchmark corpus, for small sizes. A
 * failure here is a bug in a translation in bench/engines/.
 */
import { describe, expect, test } from "bun:test";
import { casbinEngine } from "../../bench/engines/casbin.ts";
import { cedarEngine } from "../../bench/engines/cedar.ts";
import { warrantEngine } from "../../bench/engines/warrant.ts";
import { referenceDecide, workload } from "../../bench/engines/workload.ts";
import type { Engine } from "../../bench/engines/workload.ts";

const SIZES = [1, 10, 30, 100];

describe("bench engines agree on the workload corpus", () => {
  for (const size of SIZES) {
    test(`${size} rules`, async () => {
      const { rules, calls } = workload(size, 1500, 1000 + size);
      const engines: Engine[] = [
        warrantEngine(rules),
        cedarEngine(rules),
        await casbinEngine(rules),
      ];
      const seen = new Set<string>();
      for (const call of calls) {
        const want = referenceDecide(rules, call);
        seen.add(want);
        for (const e of engines) {
          const got = e.decide(call);
          if (got !== want) {
            throw new Error(
              `${e.name} decided ${got}, expected ${want} for ${JSON.stringify(call)}`,
            );
          }
        }
      }
      // The corpus exercises all three outcomes (for more than one rule).
      if (size >= 10) expect([...seen].sort()).toEqual(["allow", "deny", "hold"]);
    });
  }

  test("precedence cases: overlapping allow, hold and deny", async () => {
    const rules = [
      { id: "allow-0", tool: "tool_0", op: "lte", limit: 500, effect: "allow" },
      { id: "hold-0", tool: "tool_0", op: "gt", limit: 100, effect: "hold" },
      { id: "deny-0", tool: "tool_0", op: "gt", limit: 300, effect: "deny" },
    ] as const;
    const cases = [
      [{ tool: "tool_0", amount: 50 }, "allow"],
      [{ tool: "tool_0", amount: 200 }, "hold"],
      [{ tool: "tool_0", amount: 400 }, "deny"],
      [{ tool: "tool_1", amount: 50 }, "deny"],
    ] as const;
    for (
      const e of [
        warrantEngine([...rules]),
        cedarEngine([...rules]),
        await casbinEngine([...rules]),
      ]
    ) {
      for (const [call, want] of cases) {
        expect(`${e.name}:${e.decide(call)}`).toBe(`${e.name}:${want}`);
      }
    }
  });
});
