/**
 * How requests are shown to people (text) and machines (JSON), shared by the
 * CLI verbs and, through requestView, by the HTTP API.
 */
import { tallyOf } from "./approval-service.ts";
import type { ApprovalRequestRecord, ResolutionRecord } from "../core/records.ts";
import { tallyQuorum } from "../core/approval/resolution.ts";
import type { QuorumTally } from "../core/approval/resolution.ts";
import type { Store } from "./ports/store.ts";
import { resolutionTemplate } from "../core/approval/request.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import type { RequestView } from "../protocol/http-views.ts";

interface ViewEnv {
  store: Store;
  policy?: { current: CompiledPolicy };
}

/**
 * The JSON form of a request: what to review, the template to sign, quorum
 * progress. `known`: the tally and resolutions the caller already has (a
 * POST that just tallied them in its transaction), so they are not read and
 * counted again.
 */
export function requestView(
  env: ViewEnv,
  r: ApprovalRequestRecord,
  known?: {
    tally: QuorumTally;
    resolutions: readonly ResolutionRecord[];
    /** The action's reason, when the caller read it in its transaction. */
    reason?: string | null;
  },
): RequestView {
  const stored = known?.resolutions ?? env.store.listResolutions(r.id);
  const tally = known?.tally ??
    (env.policy ? tallyQuorum(r, stored, env.policy.current.approvers) : null);
  return {
    request_id: r.id,
    action_id: r.action_id,
    session_id: r.session_id,
    state: r.state,
    tool: r.tool,
    args: r.args,
    rules: r.rules,
    // (the reason column alone: the whole action row decodes args and output)
    reason: known?.reason !== undefined ? known.reason : env.store.actionReason(r.action_id),
    requirements: r.requirements,
    policy: { id: r.policy_id, version: r.policy_version },
    action_digest: r.action_digest,
    salt: r.salt,
    deadline: new Date(r.deadline).toISOString(),
    created_at: new Date(r.created_at).toISOString(),
    resolved_at: r.resolved_at === null ? null : new Date(r.resolved_at).toISOString(),
    resolution_template: resolutionTemplate(r),
    resolutions: stored.map((x) => ({
      approver: x.approver,
      decision: x.decision,
      at: new Date(x.at).toISOString(),
    })),
    quorum: tally
      ? { state: tally.state, progress: tally.progress, denied_by: tally.denied_by }
      : null,
  };
}

/** A request as text: one line, or a block with quorum progress when `full`. */
export function describeRequest(env: ViewEnv, r: ApprovalRequestRecord, full: boolean): string {
  const head = `${r.id}  ${r.state}  ${r.tool} ${JSON.stringify(r.args)}  deadline ${
    new Date(r.deadline).toISOString()
  }`;
  if (!full) {
    const need = r.requirements.map((q) => `${q.quorum}×${q.roles.join("|")}`).join(" + ");
    return `${head}  needs ${need}  action ${r.action_id}`;
  }
  const lines = [
    `request  ${r.id}  ${r.state}`,
    `action   ${r.action_id}`,
    `tool     ${r.tool}`,
    `args     ${JSON.stringify(r.args)}`,
    `rules    ${r.rules.join(", ")}`,
    `policy   ${r.policy_id} v${r.policy_version}`,
    `digest   ${r.action_digest}`,
    `deadline ${new Date(r.deadline).toISOString()}`,
  ];
  const tally = env.policy ? tallyOf(env.store, r, env.policy.current) : null;
  for (const p of tally?.progress ?? []) {
    lines.push(
      `quorum   ${p.rule}: ${p.keys}/${p.quorum} of ${p.roles.join("|")}${
        p.approvers.length ? ` — ${p.approvers.join(", ")}` : ""
      }${p.note ? ` (${p.note})` : ""}`,
    );
  }
  if (tally && tally.denied_by.length > 0) lines.push(`denied   by ${tally.denied_by.join(", ")}`);
  return lines.join("\n");
}
