/**
 * What a chat bot posts for an approver-facing event: a one-line summary and
 * the inbox link of the request. Built from the stored action and request
 * (tool, rules, requirements, deadline) — never from the arguments, which
 * stay out of every notification as they stay out of every event payload.
 *
 * @example describeEvent(store, event, "https://warrant.example.com")
 *   // { summary: "Approval needed: send_payment (held by large-payments) — 2 of finance, decide by 2026-11-23T10:30:00Z",
 *   //   request_id: "req_…", tool: "send_payment", inbox_url: "https://warrant.example.com/#request=req_…" }
 */
import type { EventRecord } from "../core/records.ts";
import type { StoreReads } from "./ports/store.ts";
import type { EventDescription } from "../protocol/events.ts";

/** The fields a webhook adds to an event (their shape: protocol/events.ts). */
export type { EventDescription };

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The inbox page's link to one request (it scrolls to it and focuses Approve). */
export function inboxUrl(base: string, requestId: string): string {
  return `${base.replace(/\/+$/, "")}/#request=${encodeURIComponent(requestId)}`;
}

/** Summary and link for `e`; fields are null when the event names no request. */
export function describeEvent(
  reads: Pick<StoreReads, "getAction" | "getRequest">,
  e: EventRecord,
  inboxBase: string | null,
): EventDescription {
  const action = e.action_id ? reads.getAction(e.action_id) : null;
  const fromPayload = typeof e.payload.request_id === "string" ? e.payload.request_id : null;
  const requestId = fromPayload ?? action?.request_id ?? null;
  const req = requestId ? reads.getRequest(requestId) : null;
  const tool = req?.tool ?? action?.tool ?? null;
  const what = tool ?? "an action";
  const ref = requestId ? ` (request ${requestId})` : "";
  const outcome = e.type.split(".")[1];
  let summary: string;
  if ((e.type === "request.created" || e.type === "action.held") && req) {
    const need = req.requirements.map((q) => `${q.quorum} of ${q.roles.join("|")}`).join(" + ");
    summary = `Approval needed: ${what} (held by ${req.rules.join(", ")}) — ${need}, ` +
      `decide by ${isoSeconds(req.deadline)}`;
  } else if (outcome === "approved") summary = `Approved: ${what}${ref}`;
  else if (outcome === "rejected") summary = `Rejected: ${what}${ref}`;
  else if (outcome === "expired") summary = `Expired without a decision: ${what}${ref}`;
  else summary = `${e.type}: ${what}${ref}`;
  return {
    summary,
    request_id: requestId,
    tool,
    inbox_url: requestId && inboxBase ? inboxUrl(inboxBase, requestId) : null,
  };
}
