/**
 * A no-op gate speaking the stdio protocol (shared/protocol.md) with no
 * policy and no store: the floor for gate benchmarks and a stand-in for
 * client tests. Every registered tool is allowed (required_level 0); a
 * `govern` sends `run_tool` to the hook and answers `completed` with its
 * output (or `failed` / `execution_failed` on `tool_error`). `resume` knows
 * no action (`rejected` / `unknown_action`).
 *
 *   bun bench/echo-gate.ts runtime gate --config X   (arguments are ignored)
 *   bun build --compile bench/echo-gate.ts --outfile bench/out/echo-gate
 */
import { runMinimalGate } from "./lib/minimal-gate.ts";

runMinimalGate({
  project: "echo",
  noResume: "the echo gate has no store",
  decide: () => true,
  outcome: () => {},
});
