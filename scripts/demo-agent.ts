/**
 * The demo's agent: a hook session over stdio with warrant's TypeScript
 * client (src/client/gate-client.ts), so the demo needs nothing beyond
 * Node/Bun. It registers three tools, hits allow, deny and hold, writes the
 * held request and action ids to a file for the operator's approvals, then
 * resumes with wait_ms until two approvers have signed, and runs the
 * payment exactly once.
 *
 * Usage: bun scripts/demo-agent.ts --binary dist/warrant --config warrant.json --request-file FILE
 */
import { renameSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { GateClient } from "../src/client/gate-client.ts";
import type { GovernResult } from "../src/client/gate-client.ts";

const { values: a } = parseArgs({
  options: {
    binary: { type: "string" },
    config: { type: "string" },
    "request-file": { type: "string" },
  },
});
if (!a.binary || !a.config || !a["request-file"]) {
  console.error("usage: bun scripts/demo-agent.ts --binary BIN --config FILE --request-file FILE");
  process.exit(2);
}

const say = (line: string) => process.stdout.write(`  agent: ${line}\n`);
function show(label: string, r: GovernResult): void {
  const extra: Record<string, unknown> = {};
  for (const k of ["output", "kind", "reason", "request_id", "deadline"]) {
    if (k in r) extra[k] = (r as unknown as Record<string, unknown>)[k];
  }
  say(`${label.padEnd(34)} → ${r.phase.padEnd(16)} ${JSON.stringify(extra)}`);
}

const paid: Array<Record<string, unknown>> = [];
const gate = await GateClient.spawn([a.binary, "runtime", "gate", "--config", a.config], {
  stderr: "inherit",
});
try {
  say(`gate ready, session ${gate.sessionId}`);
  await gate.registerTool("search_docs", ({ args }) => ({ hits: ["warrant.md"], q: args.q }));
  await gate.registerTool("shell", ({ args }) => ({ ran: args.cmd }));
  await gate.registerTool("send_payment", ({ args }) => {
    paid.push(args);
    return { tx: `0x9a${paid.length}`, amount: args.amount, to: args.to };
  });
  show("search_docs {q: refunds}", await gate.govern("search_docs", { q: "refunds" }));
  show("shell {cmd: rm -rf /}", await gate.govern("shell", { cmd: "rm -rf /" }));
  show("send_payment {amount: 40}", await gate.govern("send_payment", { amount: 40, to: "ACME" }));
  const held = await gate.govern("send_payment", { amount: 250, to: "ACME" });
  show("send_payment {amount: 250}", held);
  if (held.phase !== "pending_approval") throw new Error("expected the large payment to be held");
  const file = a["request-file"];
  writeFileSync(`${file}.tmp`, `${held.request_id} ${held.action_id}`);
  renameSync(`${file}.tmp`, file);
  say("waiting (resume with wait_ms) for two finance approvals...");
  const r = await gate.resume(held.action_id, held.request_id, { waitMs: 120_000 });
  show("resume (after approvals)", r);
  const r2 = await gate.resume(held.action_id, held.request_id);
  show("resume again (recorded outcome)", r2);
  say(`send_payment body ran ${paid.filter((p) => p.amount === 250).length} time(s) for 250`);
  const out = (x: GovernResult) => JSON.stringify((x as { output?: unknown }).output);
  if (r.phase !== "completed" || r2.phase !== "completed" || out(r) !== out(r2)) {
    throw new Error("expected completed, and the same recorded outcome on the second resume");
  }
} finally {
  await gate.close();
}
