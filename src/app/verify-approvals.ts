/**
 * Approvals verified at the point of use (issue 9). Before an approved
 * action starts, its approval is recomputed from what cannot be forged
 * without a key: the signed resolution documents, checked against the
 * action as stored (its digest recomputed from tool, args, session and
 * policy), the hold rules and approvers of the signed policy that made the
 * hold, and the chain's own record of which resolutions were accepted. The
 * `state` columns of `actions` and `approval_requests` never authorise by
 * themselves: someone who can write the store file can set them.
 */
import { holdRequirements, reverifyApprovals } from "../core/approval/reverify.ts";
import { RESOLUTION_SKEW_MS } from "../core/approval/resolution.ts";
import { actionDigest } from "../core/digest.ts";
import { toWarrantError } from "../core/errors.ts";
import type { HoldPolicyLookup } from "./hold-policy.ts";
import type { ActionRecord } from "../core/records.ts";
import type { StoreReads } from "./ports/store.ts";

export interface ApprovalCheckDeps {
  /** The verified policy of an id and version (PolicyHolder.policyOf). */
  holdPolicy: HoldPolicyLookup;
  skewMs?: number;
}

export type ApprovalCheck =
  | { ok: true; leaseEnd: number | null }
  | { ok: false; reason: string; problems: string[] };

const unverified = (reason: string, problems: string[] = []): ApprovalCheck => ({
  ok: false,
  reason,
  problems,
});

/**
 * Check that `a` (found `approved`) really is: a quorum of valid signed
 * approvals and no valid signed deny. Never throws: anything unexpected is
 * a failed check (fail closed).
 */
export function checkApprovalAtUse(
  reads: StoreReads,
  deps: ApprovalCheckDeps,
  a: ActionRecord,
): ApprovalCheck {
  try {
    if (!a.request_id) {
      return unverified(`action ${a.id} was never held: it has no approval request`);
    }
    const req = reads.getRequest(a.request_id);
    if (!req || req.action_id !== a.id) {
      return unverified(`approval request ${a.request_id} of action ${a.id} is missing`);
    }
    const expected = actionDigest({
      action_id: a.id,
      session_id: a.session_id,
      tool: a.tool,
      args: a.args,
      policy: { id: req.policy_id, version: req.policy_version },
      salt: req.salt,
    });
    if (req.action_digest !== expected) {
      return unverified(
        `the stored request's action_digest ${req.action_digest} is not the digest of the action as ` +
          `stored (${expected}): the action or its request was edited`,
      );
    }
    const hp = deps.holdPolicy(req.policy_id, req.policy_version);
    if (!hp.ok) return unverified(hp.problem);
    // The policy's own hold rules for this call, plus whatever the row adds
    // (a row can only make an approval harder, never easier).
    const requirements = [...holdRequirements(hp.policy, a.tool, a.args), ...req.requirements];
    const stored = reads.listResolutions(req.id);
    const missing = acceptedButMissing(reads, a.id, stored.map((r) => r.document_sha256));
    if (missing.length > 0) {
      return unverified(
        `resolution(s) the audit log recorded as accepted are missing from the store ` +
          `(document sha256 ${missing.join(", ")}): a deny may have been deleted`,
      );
    }
    const r = reverifyApprovals({
      request: { ...req, requirements },
      expectedDigest: expected,
      approvers: hp.policy.approvers,
      documents: stored.map((x) => x.document),
      skewMs: deps.skewMs ?? RESOLUTION_SKEW_MS,
    });
    if (r.tally.state === "approved") return { ok: true, leaseEnd: r.leaseEnd };
    const have = r.tally.progress.map((p) => `${p.rule} ${p.keys}/${p.quorum}`).join(", ");
    return unverified(
      r.tally.state === "rejected"
        ? `a valid signed deny exists (by ${r.tally.denied_by.join(", ")})`
        : `the signed resolutions do not meet the quorum (${have || "no requirement"}; ` +
          `${r.verified} of ${stored.length} document(s) verified)`,
      r.problems,
    );
  } catch (e) {
    return unverified(`the approval could not be verified: ${toWarrantError(e).message}`);
  }
}

/** sha256s the chain recorded as accepted resolutions for `actionId` that are no longer stored. */
function acceptedButMissing(reads: StoreReads, actionId: string, have: string[]): string[] {
  const present = new Set(have);
  const out: string[] = [];
  for (const e of reads.events({ actionId, types: ["resolution.accepted"] })) {
    const sha = e.payload.document_sha256;
    if (typeof sha === "string" && !present.has(sha)) out.push(sha);
  }
  return out;
}
