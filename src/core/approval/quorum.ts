/**
 * Quorum over accepted resolutions (SPEC §4, §5): each requirement needs
 * `quorum` DISTINCT approvers holding one of its roles; all requirements must
 * be met; one deny from an approver eligible for any requirement rejects
 * (deny wins, whatever the order). One approver counts toward every
 * requirement whose roles they hold (requirements are independent rules).
 *
 * "Distinct" means distinct public keys, not names: one key listed under two
 * names (alice, alice-backup) is one person's signature and counts once.
 * Policies that do this are refused at load (schema.ts); counting keys here
 * keeps the promise even for a policy that slipped through.
 */
import type { ApprovalRequirement } from "../policy/types.ts";
import type { ApprovalRequestView, ResolutionDecision } from "./request.ts";

/** An approver of the active policy. `key` is `ed25519:BASE64` or the 32 raw bytes. */
export interface Approver {
  key: string | Uint8Array;
  roles: readonly string[];
}

/** Approvers by name, as a Map or a plain record. */
export type Approvers = ReadonlyMap<string, Approver> | Readonly<Record<string, Approver>>;

/** The approver called `name`, or null. Safe for names like "__proto__". */
export function approverEntry(approvers: Approvers, name: string): Approver | null {
  if (approvers instanceof Map) return approvers.get(name) ?? null;
  const rec = approvers as Readonly<Record<string, Approver>>;
  return Object.hasOwn(rec, name) ? rec[name]! : null;
}

/** A comparable identity of a key (text form as is; raw bytes as comma-joined octets). */
function keyId(key: string | Uint8Array): string {
  return typeof key === "string" ? key : `raw:${key.join(",")}`;
}

/** True when `approver` holds a role of `req`. */
export function isEligibleFor(approver: Approver, req: ApprovalRequirement): boolean {
  return approver.roles.some((r) => req.roles.includes(r));
}

/** True when `approver` holds a role of at least one of `reqs`. */
export function isEligibleForAny(
  approver: Approver,
  reqs: readonly ApprovalRequirement[],
): boolean {
  return reqs.some((req) => isEligibleFor(approver, req));
}

/** Progress of one requirement. */
export interface QuorumProgress {
  rule: string;
  quorum: number;
  roles: string[];
  /** Distinct eligible approvers who approved, sorted. */
  approvers: string[];
  /** Distinct public keys among `approvers`: what the quorum counts. */
  keys: number;
  /** Set when names in `approvers` share a key, e.g. "alice and alice-backup share one key: counted once". */
  note?: string;
}

export interface QuorumTally {
  state: "pending" | "approved" | "rejected";
  progress: QuorumProgress[];
  /** Distinct eligible approvers who denied, sorted. */
  denied_by: string[];
}

/**
 * Tally accepted resolutions for `request`. Resolutions for another request,
 * by an approver no longer in `approvers`, or by an ineligible approver do
 * not count. Never throws.
 *
 * @example tallyQuorum(req, [{ request_id: req.id, approver: "alice", decision: "approve" }], approvers)
 *   // → { state: "pending", progress: [{ rule: "large", quorum: 2, roles: ["finance"], approvers: ["alice"], keys: 1 }], denied_by: [] }
 */
export function tallyQuorum(
  request: Pick<ApprovalRequestView, "id" | "requirements">,
  resolutions: readonly { request_id: string; approver: string; decision: ResolutionDecision }[],
  approvers: Approvers,
): QuorumTally {
  const approved = new Set<string>();
  const denied = new Set<string>();
  for (const r of resolutions) {
    if (r.request_id !== request.id) continue;
    const a = approverEntry(approvers, r.approver);
    if (!a || !isEligibleForAny(a, request.requirements)) continue;
    (r.decision === "deny" ? denied : approved).add(r.approver);
  }
  const progress = request.requirements.map((req): QuorumProgress => {
    const names = [...approved].filter((name) =>
      isEligibleFor(approverEntry(approvers, name)!, req)
    )
      .sort();
    const byKey = new Map<string, string[]>();
    for (const name of names) {
      const k = keyId(approverEntry(approvers, name)!.key);
      byKey.set(k, [...(byKey.get(k) ?? []), name]);
    }
    const shared = [...byKey.values()].filter((n) => n.length > 1);
    const p: QuorumProgress = {
      rule: req.rule,
      quorum: req.quorum,
      roles: [...req.roles],
      approvers: names,
      keys: byKey.size,
    };
    if (shared.length > 0) {
      p.note = shared.map((n) => `${n.join(" and ")} share one key: counted once`).join("; ");
    }
    return p;
  });
  const denied_by = [...denied].sort();
  const met = progress.length > 0 && progress.every((p) => p.keys >= p.quorum);
  const state = denied_by.length > 0 ? "rejected" : met ? "approved" : "pending";
  return { state, progress, denied_by };
}
