/**
 * Fan-out after commit. The canonical record is the store's hash-chained
 * events table, written inside each transaction; destinations get copies
 * afterwards. A destination that throws, rejects or hangs is isolated: it is
 * counted, logged, and never blocks a decision or loses the canonical record
 * (a destination that missed events can replay them from the store by seq).
 */
import type { EventRecord } from "../core/records.ts";
import type { EventSink } from "../app/ports/event-sink.ts";
import type { Logger } from "../app/ports/system.ts";

export interface SinkStats {
  delivered: number;
  failed: number;
  last_error: string | null;
}

/** Delivers committed events to sinks, each in its own queue. */
export class EventBus {
  private readonly sinks: Array<{ sink: EventSink; queue: Promise<void>; stats: SinkStats }> = [];

  private readonly lastRecorded = new Map<string, number>();

  /**
   * `record` (optional) writes a failure into the canonical audit log; it is
   * called at most once per destination per `recordEveryMs`, so a dead
   * destination cannot flood the log with its own failures.
   */
  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 5000,
    private readonly record?: (sink: string, error: string, events: number) => void,
    private readonly recordEveryMs = 60_000,
  ) {}

  add(sink: EventSink): void {
    this.sinks.push({
      sink,
      queue: Promise.resolve(),
      stats: { delivered: 0, failed: 0, last_error: null },
    });
  }

  /** Per-destination counters, for /metrics and tests. */
  stats(): Record<string, SinkStats> {
    return Object.fromEntries(this.sinks.map((s) => [s.sink.name, { ...s.stats }]));
  }

  /** Hand `events` (already committed) to every sink. Never throws, never awaits a sink. */
  publish(events: EventRecord[]): void {
    if (events.length === 0) return;
    for (const s of this.sinks) {
      s.queue = s.queue.then(() => this.deliver(s, events));
    }
  }

  /** Wait until every queued delivery has settled (shutdown). */
  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.queue));
  }

  async close(): Promise<void> {
    await this.flush();
    for (const s of this.sinks) {
      try {
        await s.sink.close?.();
      } catch (e) {
        this.logger.log("warn", "event destination failed to close", {
          sink: s.sink.name,
          error: String(e),
        });
      }
    }
  }

  private async deliver(s: (typeof this.sinks)[number], events: EventRecord[]): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${this.timeoutMs} ms`)),
          this.timeoutMs,
        );
      });
      await Promise.race([Promise.resolve().then(() => s.sink.write(events)), timeout]);
      s.stats.delivered += events.length;
    } catch (e) {
      s.stats.failed += events.length;
      s.stats.last_error = e instanceof Error ? e.message : String(e);
      this.logger.log("warn", "event destination failed", {
        sink: s.sink.name,
        events: events.length,
        first_seq: events[0]?.seq,
        error: s.stats.last_error,
      });
      const now = Date.now();
      if (
        this.record && now - (this.lastRecorded.get(s.sink.name) ?? -Infinity) >= this.recordEveryMs
      ) {
        this.lastRecorded.set(s.sink.name, now);
        try {
          this.record(s.sink.name, s.stats.last_error, events.length);
        } catch (e) {
          this.logger.log("error", "cannot record a destination failure", { error: String(e) });
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
