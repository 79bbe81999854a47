/**
 * The policy the e2e suites share: reads allowed, small payments allowed
 * under a budget, large payments held for 2 finance approvers, shell
 * rate-limited with a destructive-command deny, deploy held for ops.
 */
import { makeWorkspace } from "./harness.ts";
import type { TestKey, Workspace } from "./harness.ts";

export const APPROVERS = ["alice", "bob", "carol", "dave"];

/**
 * The e2e policy for a set of generated keys. `deployTimeout` is the deploy
 * hold's deadline: 2 s by default (the expiry tests wait it out); suites
 * that approve a deploy through several CLI processes give it room, since a
 * loaded machine or the slower-starting Deno build can spend 2 s on them.
 */
export function e2ePolicy(
  k: Record<string, TestKey>,
  overrides: Record<string, unknown> = {},
  opts: { deployTimeout?: string } = {},
): object {
  return {
    policy: "e2e",
    version: 1,
    default: "deny",
    approvers: {
      alice: { key: k.alice!.publicKey, roles: ["finance"] },
      bob: { key: k.bob!.publicKey, roles: ["ops"] },
      carol: { key: k.carol!.publicKey, roles: ["finance", "ops"] },
      dave: { key: k.dave!.publicKey, roles: ["finance"] },
    },
    budgets: { usd_daily: { limit: 500, window: "24h", scope: "project" } },
    rules: [
      { id: "reads", tool: ["search_*", "read_*", "echo", "slow", "boom"], effect: "allow" },
      {
        id: "small-payments",
        tool: "send_payment",
        when: { amount: { lte: 100 } },
        effect: "allow",
        spend: { budget: "usd_daily", amount: "amount" },
      },
      {
        id: "large-payments",
        tool: "send_payment",
        when: { amount: { gt: 100 } },
        effect: "hold",
        approval: { quorum: 2, roles: ["finance"], timeout: "30m" },
      },
      {
        id: "shell-rate",
        tool: "shell",
        effect: "allow",
        rate: { max: 5, window: "1m", scope: "session" },
      },
      {
        id: "no-rm",
        tool: "shell",
        when: { cmd: { glob: "*rm -rf*" } },
        effect: "deny",
        reason: "destructive command",
      },
      {
        id: "deploys",
        tool: "deploy",
        effect: "hold",
        approval: { quorum: 1, roles: ["ops"], timeout: opts.deployTimeout ?? "2s" },
      },
    ],
    ...overrides,
  };
}

/** The data key the encryption-at-rest suites run with (hex, 32 bytes). */
export const DATA_KEY = "11".repeat(32);

/** A signed e2e workspace whose store is encrypted under $WARRANT_DATA_KEY. */
export function encryptedWorkspace(): Promise<Workspace> {
  return makeWorkspace({
    signed: true,
    keys: APPROVERS,
    policy: (k) => e2ePolicy(k),
    config: { store: { path: ".warrant/warrant.db", encryption_key_env: "WARRANT_DATA_KEY" } },
  });
}
