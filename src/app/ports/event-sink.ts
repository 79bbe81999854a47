/**
 * The EventSink port: a destination the event bus fans committed audit
 * events out to (jsonl file, SSE hub, webhook). Adapters: bus/.
 */
import type { EventRecord } from "../../core/records.ts";

/** A fan-out destination. Failures are caught by the bus, never propagated. */
export interface EventSink {
  readonly name: string;
  write(events: EventRecord[]): void | Promise<void>;
  close?(): void | Promise<void>;
}
