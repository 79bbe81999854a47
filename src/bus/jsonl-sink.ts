/**
 * Appends each event as one JSON line to a file (for log shippers).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { EventRecord } from "../core/records.ts";
import type { EventSink } from "../app/ports/event-sink.ts";

/** A JSONL file destination; the folder is created on first write. */
export function jsonlSink(path: string): EventSink {
  let ready = false;
  return {
    name: `jsonl:${path}`,
    write(events: EventRecord[]) {
      if (!ready) {
        mkdirSync(dirname(path), { recursive: true });
        ready = true;
      }
      appendFileSync(path, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
    },
  };
}

/** A destination that writes each event as a log line on stderr. */
export function stderrSink(write: (line: string) => void): EventSink {
  return {
    name: "stderr",
    write(events: EventRecord[]) {
      for (const e of events) write(`${JSON.stringify({ event: e })}\n`);
    },
  };
}
