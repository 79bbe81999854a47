/**
 * Approvals verified where they are used. Before a held action starts, the
 * quorum is recomputed from the stored signed resolution documents alone —
 * never from a `state` column, which anyone who can write the store file can
 * set. Each document must parse strictly, name this request and action,
 * carry the action_digest recomputed from the action itself, be signed by
 * an approver of the policy that made the hold holding an eligible role,
 * have a sane validity window that began before the deadline, and use a
 * nonce no other document uses. What fails is reported and does not count;
 * a verified deny rejects. Pure: no I/O, no clock.
 */
import { parseIsoUtc, parseResolution, resolutionSignatureValid } from "./resolution.ts";
import { RESOLUTION_MAX_LIFETIME_MS } from "./resolution.ts";
import { approverEntry, isEligibleForAny, tallyQuorum } from "./quorum.ts";
import type { Approvers, QuorumTally } from "./quorum.ts";
import type { ApprovalRequestView, ResolutionDecision } from "./request.ts";
import type { CompiledPolicy } from "../policy/compile.ts";
import type { ApprovalRequirement } from "../policy/types.ts";

export interface ReverifyInput {
  /** The stored request (its state is ignored). */
  request: Pick<
    ApprovalRequestView,
    "id" | "action_id" | "action_digest" | "requirements" | "deadline"
  >;
  /** The action_digest recomputed from the action row (tool, args, session, policy). */
  expectedDigest: string;
  /** Approvers of the policy that made the hold. */
  approvers: Approvers;
  /** The stored resolution documents, exactly as received. */
  documents: readonly string[];
  /** Allowed clock skew, ms. */
  skewMs: number;
  /** Longest expires_at − issued_at, ms (default RESOLUTION_MAX_LIFETIME_MS). */
  maxLifetimeMs?: number;
}

export interface ReverifyResult {
  /** The quorum over verified documents only. */
  tally: QuorumTally;
  /** Earliest expires_at (ms) among verified approvals; null when there is none. */
  leaseEnd: number | null;
  /** Documents that did not verify, and why (they do not count). */
  problems: string[];
  /** Number of documents that verified. */
  verified: number;
}

/**
 * Recompute a request's quorum from its signed documents. Never throws.
 *
 * @example reverifyApprovals({ request, expectedDigest, approvers, documents, skewMs: 60_000 }).tally.state
 *   // "approved" only when enough distinct keys signed valid approvals and no valid deny exists
 */
export function reverifyApprovals(input: ReverifyInput): ReverifyResult {
  const { request } = input;
  const maxLife = input.maxLifetimeMs ?? RESOLUTION_MAX_LIFETIME_MS;
  const problems: string[] = [];
  const counted: { request_id: string; approver: string; decision: ResolutionDecision }[] = [];
  const nonces = new Set<string>();
  let leaseEnd: number | null = null;
  input.documents.forEach((text, i) => {
    const bad = (why: string) => problems.push(`resolution #${i + 1}: ${why}`);
    const p = parseResolution(text);
    if (!p.ok) return bad(p.message);
    const doc = p.doc;
    if (doc.request_id !== request.id || doc.action_id !== request.action_id) {
      return bad(`it names request ${doc.request_id} / action ${doc.action_id}`);
    }
    if (doc.action_digest !== input.expectedDigest) {
      return bad(
        `it approves action_digest ${doc.action_digest}, but the action as stored digests to ` +
          `${input.expectedDigest}`,
      );
    }
    const approver = approverEntry(input.approvers, doc.approver);
    if (!approver) {
      return bad(`"${doc.approver}" is not an approver of the policy that made the hold`);
    }
    if (!isEligibleForAny(approver, request.requirements)) {
      return bad(`"${doc.approver}" holds no role this hold needs`);
    }
    const issuedAt = parseIsoUtc(doc.issued_at)!;
    const expiresAt = parseIsoUtc(doc.expires_at)!;
    if (expiresAt <= issuedAt || expiresAt - issuedAt > maxLife) {
      return bad(`validity window ${doc.issued_at} → ${doc.expires_at} is invalid`);
    }
    if (issuedAt > request.deadline + input.skewMs) {
      return bad(`issued at ${doc.issued_at}, after the hold's deadline`);
    }
    if (nonces.has(doc.nonce)) return bad(`nonce ${doc.nonce} is used by another resolution`);
    if (!resolutionSignatureValid(doc, approver)) {
      return bad(`the signature does not verify with ${doc.approver}'s key`);
    }
    nonces.add(doc.nonce);
    counted.push({ request_id: doc.request_id, approver: doc.approver, decision: doc.decision });
    if (doc.decision === "approve") {
      leaseEnd = leaseEnd === null ? expiresAt : Math.min(leaseEnd, expiresAt);
    }
  });
  return {
    tally: tallyQuorum(request, counted, input.approvers),
    leaseEnd,
    problems,
    verified: counted.length,
  };
}

/**
 * What the hold policy demands of a call: the approval of every hold rule
 * that matches it (the same rules evaluate() would hold on). Used instead of
 * trusting a stored request's `requirements` column alone.
 */
export function holdRequirements(
  policy: Pick<CompiledPolicy, "candidates">,
  tool: string,
  args: Record<string, unknown>,
): ApprovalRequirement[] {
  const out: ApprovalRequirement[] = [];
  for (const r of policy.candidates(tool)) {
    if (r.effect !== "hold" || r.approval === null) continue;
    let hit: boolean;
    try {
      hit = r.when === null || r.when(args);
    } catch {
      hit = true; // a predicate that throws demands its approval (fail closed)
    }
    if (hit) {
      out.push({
        rule: r.id,
        quorum: r.approval.quorum,
        roles: [...r.approval.roles],
        timeout_ms: r.approval.timeout_ms,
      });
    }
  }
  return out;
}
