/**
 * Appends each event as one JSON line to a file (for log shippers).
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { EventRecord } from "../core/records.ts";
import type { EventSink } from "../app/ports/event-sink.ts";

/**
 * A JSONL file destination; the folder (0700) and the file (0600, whatever
 * the umask) are created on first write.
 */
export function jsonlSink(path: string): EventSink {
  let ready = false;
  return {
    // The label of /metrics and sink.failed: a kind, never a path (paths leak layout).
    name: "jsonl",
    write(events: EventRecord[]) {
      if (!ready) {
        const dir = dirname(path);
        if (!existsSync(dir)) {
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          if (process.platform !== "win32") chmodSync(dir, 0o700);
        }
        appendFileSync(path, "", { mode: 0o600 });
        if (process.platform !== "win32") chmodSync(path, 0o600);
        ready = true;
      }
      // `at` in ISO 8601, as audit export, SSE and webhooks write it.
      appendFileSync(
        path,
        events.map((e) => JSON.stringify({ ...e, at: new Date(e.at).toISOString() })).join("\n") +
          "\n",
      );
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
