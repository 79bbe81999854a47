/**
 * Submitting a signed resolution, from any face (CLI, HTTP): verify it
 * against the stored request and the ACTIVE policy's approvers, then in the
 * same transaction record it, tally the quorum and move the request and its
 * action. A refused resolution is recorded in the audit log and changes
 * nothing else.
 */
import {
  parseResolution,
  tallyQuorum,
  verifyParsedResolution,
} from "../core/approval/resolution.ts";
import type { QuorumTally } from "../core/approval/resolution.ts";
import { RESOLUTION_SKEW_MS } from "../core/approval/resolution.ts";
import { sha256Hex } from "../core/digest.ts";
import { toWarrantError } from "../core/errors.ts";
import type { ErrorCode } from "../core/errors.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import type { RefusalLog } from "./refusal-log.ts";
import type { ApprovalRequestRecord, ResolutionRecord } from "../core/records.ts";
import type { Clock, Logger } from "./ports/system.ts";
import type { Store, StoreTx } from "./ports/store.ts";

export interface ApprovalDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  policy: () => CompiledPolicy;
  skewMs?: number;
}

export type SubmitResult =
  | {
    status: "accepted" | "duplicate";
    request: ApprovalRequestRecord;
    tally: QuorumTally;
    /** The request's accepted resolutions, read in the same transaction (for the view). */
    resolutions: ResolutionRecord[];
    /** The action's reason as this transaction leaves it (for the view: no read after it). */
    reason: string | null;
  }
  | { status: "refused"; code: ErrorCode; message: string };

/** A quick look at a document's claimed ids, for the audit record of a refusal. */
function claimed(text: string): Record<string, unknown> {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const pick = (
      k: string,
    ) => (typeof o[k] === "string" ? (o[k] as string).slice(0, 128) : undefined);
    return {
      request_id: pick("request_id"),
      approver: pick("approver"),
      decision: pick("decision"),
    };
  } catch {
    return {};
  }
}

/** Current quorum progress of a request, from its stored resolutions. */
export function tallyOf(
  reads: Pick<Store, "listResolutions">,
  req: ApprovalRequestRecord,
  policy: CompiledPolicy,
): QuorumTally {
  return tallyQuorum(req, reads.listResolutions(req.id), policy.approvers);
}

/**
 * Verify and apply one resolution document (its exact text). `expectRequestId`
 * is the request named by the URL or the CLI, when there is one.
 */
export async function submitResolution(
  deps: ApprovalDeps,
  text: string,
  expectRequestId?: string,
  source?: Source,
): Promise<SubmitResult> {
  const { store, clock } = deps;
  const from: Source | undefined = source;
  const digest = sha256Hex(text);
  try {
    // Group commit: concurrent submissions (HTTP) share one durable transaction.
    return await store.txAsync((tx): SubmitResult => {
      const now = clock.now();
      const policy = deps.policy();
      // Parsed once: the claimed ids of a refusal's record come from the
      // document when it parses (the schema bounds them), else from a quick look.
      const parsed = parseResolution(text);
      const c = parsed.ok
        ? {
          request_id: parsed.doc.request_id,
          approver: parsed.doc.approver,
          decision: parsed.doc.decision,
        }
        : claimed(text);
      const requestId = expectRequestId ?? (c.request_id as string | undefined) ?? "";
      const request = tx.getRequest(requestId);
      if (
        request && expectRequestId !== undefined && c.request_id !== undefined &&
        c.request_id !== expectRequestId
      ) {
        return refuse(
          tx,
          now,
          from,
          "action_mismatch",
          `the resolution is for request "${String(c.request_id)}", not "${expectRequestId}"`,
          c,
        );
      }
      // Read once: the duplicate check, the tally and the reply's view use this list.
      const stored = request ? tx.listResolutions(request.id) : [];
      // The same document again: idempotent, whatever has happened since.
      if (request && stored.some((r) => r.document_sha256 === digest)) {
        return {
          status: "duplicate",
          request,
          tally: tallyQuorum(request, stored, policy.approvers),
          resolutions: stored,
          reason: tx.actionReason(request.action_id),
        };
      }
      const v = verifyParsedResolution(parsed, {
        request: request,
        approvers: policy.approvers,
        now,
        skewMs: deps.skewMs ?? RESOLUTION_SKEW_MS,
        nonceUsed: (n) => tx.nonceUsed(n),
      });
      if (!v.ok) {
        if (v.code === "request_expired" && request) expireRequest(tx, request, now);
        return refuse(tx, now, from, v.code, v.message, c);
      }
      const r = v.resolution;
      const added = tx.insertResolution({
        request_id: request!.id,
        approver: r.approver,
        decision: r.decision,
        nonce: r.nonce,
        document: text,
        document_sha256: digest,
        at: now,
      }, request!.action_id);
      // The list as the store would now read it (ordered by row id; the new row is last).
      const resolutions = [...stored, added];
      const tally = tallyQuorum(request!, resolutions, policy.approvers);
      applyTally(tx, request!, tally, now);
      // What applyTally wrote (state and resolved_at), without reading the row back.
      const after = tally.state === "pending"
        ? request!
        : { ...request!, state: tally.state, resolved_at: now };
      // (after applyTally: a deny writes the action's reason)
      const reason = tx.actionReason(request!.action_id);
      return { status: "accepted", request: after, tally, resolutions, reason };
    });
  } catch (e) {
    const err = toWarrantError(e);
    deps.logger.log("error", "resolution could not be applied", {
      code: err.code,
      error: err.message,
    });
    return { status: "refused", code: err.code, message: err.message };
  }
}

/**
 * Where a resolution came from. An unauthenticated sender's refusals are
 * coalesced through `log` (one event per source and code per minute, with a
 * count and a short sample); without a source every refusal is recorded.
 */
export interface Source {
  /** e.g. "http:203.0.113.7". */
  id: string;
  log: RefusalLog;
}

function refuse(
  tx: StoreTx,
  now: number,
  from: Source | undefined,
  code: ErrorCode,
  message: string,
  c: Record<string, unknown>,
): SubmitResult {
  if (!from) {
    tx.appendEvent({
      type: "resolution.refused",
      action_id: null,
      at: now,
      payload: { code, message: message.slice(0, 500), ...c },
    });
    return { status: "refused", code, message };
  }
  const a = from.log.admit(from.id, code, now);
  if (a.record) {
    const short = (v: unknown) => (typeof v === "string" ? v.slice(0, 64) : undefined);
    tx.appendEvent({
      type: "resolution.refused",
      action_id: null,
      at: now,
      payload: {
        code,
        source: from.id,
        count: a.count,
        sample: message.slice(0, 120),
        request_id: short(c.request_id),
        approver: short(c.approver),
      },
    });
  }
  return { status: "refused", code, message };
}

/** Quorum reached → approved; an eligible deny → rejected (approval_denied). */
function applyTally(
  tx: StoreTx,
  req: ApprovalRequestRecord,
  tally: QuorumTally,
  now: number,
): void {
  if (tally.state === "approved") {
    tx.resolveRequest(req.id, "approved", now, {
      approvers: tally.progress.flatMap((p) => p.approvers),
    });
    tx.transition(req.action_id, ["held"], "approved", {}, now, { request_id: req.id });
  } else if (tally.state === "rejected") {
    tx.resolveRequest(req.id, "rejected", now, { denied_by: tally.denied_by });
    tx.transition(
      req.action_id,
      ["held"],
      "rejected",
      {
        kind: "approval_denied",
        reason: `denied by ${tally.denied_by.join(", ")}`,
      },
      now,
      { request_id: req.id },
    );
  }
}

/** A resolution arrived after the deadline: the request and its action expire now. */
function expireRequest(tx: StoreTx, req: ApprovalRequestRecord, now: number): void {
  if (req.state !== "pending") return;
  tx.resolveRequest(req.id, "expired", now);
  const a = tx.getAction(req.action_id);
  if (a && a.state === "held") {
    tx.transition(a.id, ["held"], "expired", {
      kind: "approval_timeout",
      reason: `no valid approval before the deadline ${new Date(req.deadline).toISOString()}`,
    }, now);
  }
}
