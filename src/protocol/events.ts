/**
 * The one definition of an audit event on the wire: the `data:` of a
 * Server-Sent Events frame (GET /v1/events) and the body of a webhook
 * (notify.webhook_url). The SSE hub's framing and the webhook sink write
 * them with `eventJson`/`webhookEventJson`; the TS client
 * (client/events.ts) parses them with these schemas; docs/openapi.json
 * describes them from the same schemas. Types are inferred, never written
 * by hand.
 *
 * @example eventJson(record) // { seq: 7, at: "2026-…Z", type: "action.held", action_id: "act_…", payload: {…}, hash: "…" }
 */
import { z } from "zod";
import type { EventRecord } from "../core/records.ts";

const isoTime = z.iso.datetime().describe("ISO 8601, UTC");

/** One audit event as SSE data: what the store committed, with its chain hash. */
export const EventJsonSchema = z.strictObject({
  seq: z.number().int().positive().describe("position in the audit log (the SSE id)"),
  at: isoTime,
  type: z.string().min(1).describe("event type, e.g. action.held (the SSE event name)"),
  action_id: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()).describe("ids, states, digests; never arguments"),
  hash: z.string().regex(/^[0-9a-f]{64}$/).describe(
    "the audit chain hash (sha256 over the previous hash and this event)",
  ),
});

/**
 * One audit event as a webhook body: the same fields without the hash (the
 * `webhook-id` header is derived from it), plus a summary a chat bot can
 * post and the request's inbox link — null when the event names no
 * request. The summary fields are left out when they could not be built.
 */
export const WebhookEventSchema = z.strictObject({
  ...EventJsonSchema.omit({ hash: true }).shape,
  summary: z.string().optional().describe("one line for people, never arguments"),
  request_id: z.string().nullable().optional(),
  tool: z.string().nullable().optional(),
  inbox_url: z.string().nullable().optional().describe(
    "the inbox page's link to the request (under http.public_url)",
  ),
});

export type EventJson = z.infer<typeof EventJsonSchema>;
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
/** What a webhook adds to an event (app/notify-summary.ts builds it). */
export type EventDescription = {
  [K in "summary" | "request_id" | "tool" | "inbox_url"]-?: Exclude<WebhookEvent[K], undefined>;
};

/** The SSE data of a stored event. */
export function eventJson(e: EventRecord): EventJson {
  return {
    seq: e.seq,
    at: new Date(e.at).toISOString(),
    type: e.type,
    action_id: e.action_id,
    payload: e.payload,
    hash: e.hash,
  };
}

/** The webhook body of a stored event, with its description when there is one. */
export function webhookEventJson(e: EventRecord, described?: EventDescription): WebhookEvent {
  const { hash: _hash, ...rest } = eventJson(e);
  return { ...rest, ...described };
}
