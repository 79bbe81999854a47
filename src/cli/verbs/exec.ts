/**
 * `warrant exec` proposes a declared tool (runs it if allowed, prints the
 * request id if held); `warrant resume` runs an approved action exactly once:
 * a declared tool here, a hook's tool through the live gate session that
 * owns it.
 */
import { GateService } from "../../app/gate-service.ts";
import type { GovernOutcome } from "../../app/outcome.ts";
import { outcomeOf } from "../../app/outcome.ts";
import { waitForDecision } from "../../app/resume.ts";
import { WarrantError } from "../../core/errors.ts";
import { durationMs } from "../../core/policy/schema.ts";
import { expandArgv } from "../../app/declared-tool.ts";
import { configPath } from "./approval.ts";
import { EXIT, flagString, printJson, UsageError } from "../io.ts";
import type { CliIO, Verb } from "../io.ts";
import { staleAfterMs } from "../../app/config.ts";
import type { Opened } from "../../app/ports/runtime.ts";

/** Exit code of an outcome (SPEC §7). */
export function exitFor(o: GovernOutcome): number {
  return o.phase === "completed"
    ? EXIT.ok
    : o.phase === "pending_approval"
    ? EXIT.pending
    : o.phase === "rejected"
    ? EXIT.rejected
    : EXIT.error;
}

function printOutcome(io: CliIO, o: GovernOutcome, json: boolean): void {
  if (json) return printJson(io, o);
  if (o.phase === "completed") {
    io.out(`completed  ${o.action_id}`);
    const out = o.output as { stdout?: string } | null;
    if (out && typeof out.stdout === "string") io.out(out.stdout.replace(/\n$/, ""));
    else io.out(JSON.stringify(o.output));
  } else if (o.phase === "pending_approval") {
    io.out(`held       ${o.action_id}\nrequest    ${o.request_id}\ndeadline   ${o.deadline}`);
    io.out(
      `approve with: warrant approve ${o.request_id} --key KEYFILE; then: warrant resume ${o.action_id}`,
    );
  } else io.out(`${o.phase.padEnd(10)} ${o.action_id}  ${o.kind}: ${o.reason}`);
}

/** A short-lived session for this CLI process; closed by `end`. */
function cliSession(env: Opened): { service: GateService; end(): void } {
  const sessionId = env.ids.next("session");
  env.store.tx((tx) =>
    tx.openSession({
      id: sessionId,
      project: env.config.project,
      pid: process.pid,
      at: env.clock.now(),
    })
  );
  const service = new GateService({
    store: env.store,
    clock: env.clock,
    ids: env.ids,
    logger: env.logger,
    policy: () => env.policy!.current,
    holdPolicy: (id, version) => env.policy!.policyOf(id, version),
    project: env.config.project,
    sessionId,
    defaultHoldTimeoutMs: env.config.gate.default_hold_timeout_ms,
    execWaitMs: env.config.gate.tool_exec_timeout_ms + 5000,
    isAlive: env.isAlive,
  });
  return { service, end: () => env.store.tx((tx) => tx.endSession(sessionId, env.clock.now())) };
}

export const execVerb: Verb = {
  name: "exec",
  summary: "propose a declared tool: run it if allowed, print the request id if held",
  help: `warrant exec — propose a tool declared in the config's "tools"

Usage: warrant exec TOOL --args JSON [--idempotency-key K] [--config FILE] [--json]

Runs the tool at once when the policy allows it; prints the request id and
exits 5 when it is held; exits 4 when denied. A repeated --idempotency-key
returns the first action instead of proposing a new one.

Example:
  warrant exec deploy --args '{"env":"prod"}' --config warrant.json`,
  flags: {
    config: { type: "string" },
    args: { type: "string" },
    "idempotency-key": { type: "string" },
  },
  async run(args, io) {
    const tool = args.positionals[0];
    if (!tool) throw new UsageError('missing TOOL (a name under "tools" in the config)');
    let callArgs: Record<string, unknown>;
    try {
      callArgs = JSON.parse(flagString(args, "args") ?? "{}");
    } catch (e) {
      throw new UsageError(`--args is not valid JSON: ${(e as Error).message}`);
    }
    if (callArgs === null || typeof callArgs !== "object" || Array.isArray(callArgs)) {
      throw new UsageError('--args must be a JSON object, e.g. \'{"env":"prod"}\'');
    }
    const env = io.runtime.open(configPath(args, io), io, { policy: true });
    try {
      const decl = Object.hasOwn(env.config.tools, tool) ? env.config.tools[tool] : undefined;
      if (!decl) {
        throw new WarrantError(
          "not_found",
          `tool "${tool}" is not declared under "tools" in ${env.config.file}; declare its command there`,
        );
      }
      // Refuse a call that could not run (or would smuggle an option), before proposing it.
      expandArgv(decl.command, callArgs, decl.allow_dash_args);
      const s = cliSession(env);
      try {
        const o = await s.service.govern(
          {
            tool,
            args: callArgs,
            origin: "declared",
            idempotency_key: flagString(args, "idempotency-key") ?? null,
          },
          true,
          io.runtime.toolRunner(env.config, io.env),
        );
        printOutcome(io, o, !!args.flags.json);
        return exitFor(o);
      } finally {
        s.end();
      }
    } finally {
      await env.close();
    }
  },
};

export const resumeVerb: Verb = {
  name: "resume",
  summary: "run an approved action exactly once and print its outcome",
  help: `warrant resume — run an approved held action exactly once

Usage: warrant resume ACTION_ID [--wait DURATION] [--config FILE] [--json]

A declared tool runs here. A hook's tool is run by the live gate session that
owns the action (through run_tool); if that session is gone, the agent must
resume it. --wait waits up to DURATION (e.g. 10m) for the approvals, never
past the deadline. A finished action prints its recorded outcome again.

Example:
  warrant resume act_01jd8x… --wait 10m --config warrant.json`,
  flags: { config: { type: "string" }, wait: { type: "string" } },
  async run(args, io) {
    const actionId = args.positionals[0];
    if (!actionId) throw new UsageError("missing ACTION_ID");
    const waitMs = args.flags.wait ? durationMs(String(args.flags.wait)) : 0;
    const env = io.runtime.open(configPath(args, io), io, { policy: true });
    try {
      const a = env.store.getAction(actionId);
      if (!a) {
        throw new WarrantError("not_found", `no action "${actionId}" in ${env.store.path}`);
      }
      let o: GovernOutcome;
      if (a.origin === "declared") {
        const s = cliSession(env);
        try {
          o = await s.service.resume(
            actionId,
            a.request_id ?? "",
            waitMs,
            io.runtime.toolRunner(env.config, io.env),
            {
              origin: "declared",
              registered: (tool) => Object.hasOwn(env.config.tools, tool),
            },
          );
        } finally {
          s.end();
        }
      } else o = await resumeHookAction(env, actionId, a.request_id ?? "", waitMs);
      printOutcome(io, o, !!args.flags.json);
      return exitFor(o);
    } finally {
      await env.close();
    }
  },
};

/** Ask the live gate session that owns a hook action to run it, and wait for the record. */
async function resumeHookAction(
  env: Opened,
  actionId: string,
  requestId: string,
  waitMs: number,
): Promise<GovernOutcome> {
  const deps = { store: env.store, clock: env.clock, logger: env.logger, isAlive: env.isAlive };
  const first = await waitForDecision(deps, actionId, requestId, waitMs);
  if ("phase" in first) return first;
  const a = first.action;
  const owner = env.store.getSession(a.session_id);
  const staleMs = staleAfterMs(env.config);
  if (
    !owner || owner.ended_at !== null || env.clock.now() - owner.heartbeat_at > staleMs ||
    !env.isAlive(owner.pid)
  ) {
    throw new WarrantError(
      "not_found",
      `action ${actionId} is approved, but the gate session ${a.session_id} that owns it is gone; ` +
        `the agent must resume it (its hook's "resume" runs it in a new session)`,
    );
  }
  env.store.tx((tx) =>
    tx.insertRunRequest({
      id: env.ids.next("callback_run"),
      action_id: actionId,
      session_id: owner.id,
      at: env.clock.now(),
    })
  );
  const until = env.clock.now() + env.config.gate.tool_exec_timeout_ms + 10_000;
  for (;;) {
    const now = env.store.getAction(actionId)!;
    const o = outcomeOf(now);
    if (o && now.state !== "held") return o;
    if (env.clock.now() > until) {
      return {
        phase: "failed",
        action_id: actionId,
        kind: "outcome_unknown",
        reason: "the owning gate session did not report an outcome in time; run warrant show later",
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const execVerbs: Verb[] = [execVerb, resumeVerb];
