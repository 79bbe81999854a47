/**
 * Reading warrant's audit events from TypeScript: the Server-Sent Events
 * stream of `warrant serve` (GET /v1/events) and the body of a webhook it
 * posted. Both are checked against the protocol's one schema
 * (protocol/events.ts), so a consumer gets typed events or an error naming
 * the field that does not fit — never a silently different shape.
 *
 *   for await (const e of readEvents("http://127.0.0.1:8080", { token, after: 0 })) {
 *     if (e.type === "request.created") notify(e.payload.request_id);
 *   }
 */
import { EventJsonSchema, WebhookEventSchema } from "../protocol/events.ts";
import type { EventJson, WebhookEvent } from "../protocol/events.ts";

export type { EventJson, WebhookEvent };

export interface ReadEventsOptions {
  /** The read token (http.token_env), sent as `Authorization: Bearer`. */
  token?: string;
  /** Replay from after this seq (0: the whole log); absent: live events only. */
  after?: number;
  /** Only these event types. */
  types?: string[];
  /** Only this action's events. */
  action?: string;
  /** Stops the stream (the generator then returns). */
  signal?: AbortSignal;
}

/** A frame that is not an event of the protocol (or a non-2xx answer). */
export class EventStreamError extends Error {}

/** Parse one event's JSON (an SSE frame's data) against the protocol schema. */
export function parseEvent(data: string): EventJson {
  const r = EventJsonSchema.safeParse(JSON.parse(data));
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new EventStreamError(
      `not a warrant event: ${i.path.join(".") || "(root)"}: ${i.message}`,
    );
  }
  return r.data;
}

/** Parse a webhook body against the protocol schema (verify its signature first). */
export function parseWebhookEvent(body: string): WebhookEvent {
  const r = WebhookEventSchema.safeParse(JSON.parse(body));
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new EventStreamError(
      `not a warrant webhook event: ${i.path.join(".") || "(root)"}: ${i.message}`,
    );
  }
  return r.data;
}

/**
 * The events of `GET {base}/v1/events`, parsed and checked, until the
 * server ends the stream or `signal` aborts. Comments (heartbeats) are
 * skipped; each frame's `id` must equal its event's seq.
 */
export async function* readEvents(
  base: string,
  opts: ReadEventsOptions = {},
): AsyncGenerator<EventJson> {
  const url = new URL("/v1/events", base);
  if (opts.after !== undefined) url.searchParams.set("after", String(opts.after));
  if (opts.types) url.searchParams.set("type", opts.types.join(","));
  if (opts.action !== undefined) url.searchParams.set("action", opts.action);
  const res = await fetch(url, {
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok || !res.body) {
    throw new EventStreamError(`GET ${url.pathname}: HTTP ${res.status} ${await res.text()}`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((e) => {
        if (opts.signal?.aborted) return { done: true as const, value: undefined };
        throw e;
      });
      if (done) return;
      buf += value;
      let end: number;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let id: string | undefined;
        const data: string[] = [];
        for (const line of frame.split("\n")) {
          if (line.startsWith("id: ")) id = line.slice(4);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length === 0) continue; // a comment, or retry:
        const e = parseEvent(data.join("\n"));
        if (id !== String(e.seq)) {
          throw new EventStreamError(`frame id ${id} does not match the event's seq ${e.seq}`);
        }
        yield e;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
