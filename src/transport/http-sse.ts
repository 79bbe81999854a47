/**
 * Server-Sent Events framing of the audit log: each event as
 * `id: <seq>` / `event: <type>` / `data: <json>`, a comment heartbeat while
 * idle, and a final comment when the server drops a slow client or shuts
 * down. The stream pulls from a hub Subscription, so a client that stops
 * reading stops the replay too (and is dropped if live events pile up).
 */
import type { EventRecord } from "../core/records.ts";
import type { Subscription } from "../bus/sse-hub.ts";

export const SSE_HEARTBEAT_MS = 15_000;

const enc = new TextEncoder();

/** Encoded pages, by page: replays sharing a page (sse-hub's cache) share its bytes. */
const encodedPages = new WeakMap<EventRecord[], Uint8Array>();

function framed(batch: EventRecord[]): Uint8Array {
  let bytes = encodedPages.get(batch);
  if (!bytes) {
    bytes = enc.encode(batch.map(sseFrame).join(""));
    encodedPages.set(batch, bytes);
  }
  return bytes;
}

/** One event in SSE wire form. The JSON never contains a raw newline. */
export function sseFrame(e: EventRecord): string {
  const data = JSON.stringify({
    seq: e.seq,
    at: new Date(e.at).toISOString(),
    type: e.type,
    action_id: e.action_id,
    payload: e.payload,
    hash: e.hash,
  });
  return `id: ${e.seq}\nevent: ${e.type.replace(/[\r\n]/g, "")}\ndata: ${data}\n\n`;
}

/**
 * A ReadableStream of SSE text for `sub`. Closing the stream (client gone)
 * closes the subscription; closing the subscription (shutdown, too slow)
 * ends the stream.
 */
export function sseStream(
  sub: Subscription,
  heartbeatMs = SSE_HEARTBEAT_MS,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode(`retry: 2000\n: warrant events from seq ${sub.cursor}\n\n`));
    },
    async pull(controller) {
      const batch = await sub.next(heartbeatMs);
      if (batch === null) {
        try {
          if (sub.dropped) {
            controller.enqueue(
              enc.encode(": dropped: client too slow; reconnect with Last-Event-ID\n\n"),
            );
          }
          controller.close();
        } catch {
          // already closed by the client
        }
        return;
      }
      controller.enqueue(batch.length ? framed(batch) : enc.encode(": ping\n\n"));
    },
    cancel() {
      sub.close();
    },
  }, { highWaterMark: 0 });
}
