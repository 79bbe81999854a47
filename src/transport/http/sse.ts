/**
 * Server-Sent Events framing of the audit log: each event as
 * `id: <seq>` / `event: <type>` / `data: <json>`, a comment heartbeat while
 * idle, and a final comment when the server drops a slow client or shuts
 * down. The stream pulls from a hub Subscription, so a client that stops
 * reading stops the replay too (and is dropped if live events pile up).
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { EventRecord } from "../../core/records.ts";
import { eventJson } from "../../protocol/events.ts";
import type { Subscription } from "../../bus/sse-hub.ts";

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
  const data = JSON.stringify(eventJson(e));
  return `id: ${e.seq}\nevent: ${e.type.replace(/[\r\n]/g, "")}\ndata: ${data}\n\n`;
}

/**
 * The SSE response for `sub`, streamed with Hono's streamSSE. Each write
 * waits until the client has taken the previous one, so a client that
 * stops reading stops its replay; the client going away closes the
 * subscription, and the subscription closing (shutdown, too slow) ends the
 * stream. Pages are written pre-framed (see `framed`), not via writeSSE: a
 * replay page comes framed from the hub's cache (Subscription.nextFramed),
 * so replays of the same range share one encoding.
 */
export function sseResponse(
  c: Context,
  sub: Subscription,
  heartbeatMs = SSE_HEARTBEAT_MS,
): Response {
  c.header("x-accel-buffering", "no");
  const res = streamSSE(c, async (stream) => {
    stream.onAbort(() => sub.close());
    await stream.write(`retry: 2000\n: warrant events from seq ${sub.cursor}\n\n`);
    while (!stream.aborted) {
      const bytes = await sub.nextFramed(heartbeatMs, framed);
      if (bytes === null) {
        if (sub.dropped) await stream.write(DROPPED);
        return;
      }
      await stream.write(bytes.byteLength > 0 ? bytes : PING);
    }
    sub.close();
  });
  res.headers.set("content-type", "text/event-stream; charset=utf-8");
  return res;
}

const PING = enc.encode(": ping\n\n");
const DROPPED = enc.encode(": dropped: client too slow; reconnect with Last-Event-ID\n\n");
