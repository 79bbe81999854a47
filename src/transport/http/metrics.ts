/**
 * What /metrics shows, derived cheaply: decisions and resolutions are
 * counted from the audit-log tail (so they include every process writing the
 * store, since this server started), holds open is counted once at start and
 * then kept by the same tail, and HTTP and store latencies are measured here.
 */
import type { SinkStats } from "../../bus/event-bus.ts";
import { Metrics } from "../../app/metrics.ts";
import type { Counter, Histogram } from "../../app/metrics.ts";
import type { EventRecord } from "../../core/records.ts";
import type { StoreReads } from "../../app/ports/store.ts";

export interface HttpMetrics {
  registry: Metrics;
  http: Histogram;
  commit: Histogram;
  decisions: Counter;
  resolutions: Counter;
  /** Feed every new audit event (an SseHub tap). */
  onEvents(events: EventRecord[]): void;
}

export interface HttpMetricsSources {
  /** Delivery stats per destination, from each event bus in this process. */
  sinkStats: () => Record<string, SinkStats>;
  /** Open SSE subscriptions. */
  sseClients: () => number;
}

const DECIDED: Record<string, string> = {
  "action.allowed": "allow",
  "action.denied": "deny",
  "action.held": "hold",
};

/** Number of pending requests now (pages through ids; run once at start). */
export function countPending(reads: Pick<StoreReads, "listRequests">): number {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const page = reads.listRequests({ state: "pending", limit: 500, ...(after ? { after } : {}) });
    n += page.length;
    if (page.length < 500) return n;
    after = page[page.length - 1]!.id;
  }
}

/** Create the instruments; `pendingAtStart` seeds the holds-open gauge. */
export function createHttpMetrics(src: HttpMetricsSources, pendingAtStart: number): HttpMetrics {
  const registry = new Metrics();
  const decisions = registry.counter(
    "warrant_decisions_total",
    "Policy decisions recorded since this server started, by effect and kind",
    ["effect", "kind"],
  );
  const resolutions = registry.counter(
    "warrant_resolutions_total",
    "Resolutions accepted or refused since this server started (refused by error code)",
    ["result", "code"],
  );
  let open = pendingAtStart;
  registry.gauge("warrant_holds_open", "Approval requests still pending", [], () => [[{}, open]]);
  registry.gauge(
    "warrant_sse_clients",
    "Open Server-Sent Events streams",
    [],
    () => [[{}, src.sseClients()]],
  );
  // Counters (they only go up), computed from the bus's tallies at each scrape.
  registry.collectedCounter(
    "warrant_notify_delivered_events_total",
    "Events delivered per fan-out destination since this process started",
    ["sink"],
    () => Object.entries(src.sinkStats()).map(([sink, s]) => [{ sink }, s.delivered]),
  );
  registry.collectedCounter(
    "warrant_notify_failed_events_total",
    "Events a fan-out destination failed to take since this process started (the audit log still has them)",
    ["sink"],
    () => Object.entries(src.sinkStats()).map(([sink, s]) => [{ sink }, s.failed]),
  );
  const http = registry.histogram(
    "warrant_http_request_seconds",
    "HTTP request latency until the response headers",
    ["route", "method", "status"],
  );
  const commit = registry.histogram(
    "warrant_store_commit_seconds",
    "Store transaction latency (resolution submit: verify + record + quorum)",
    ["op"],
  );
  return {
    registry,
    http,
    commit,
    decisions,
    resolutions,
    onEvents(events) {
      for (const e of events) {
        const effect = DECIDED[e.type];
        if (effect) {
          const kind = typeof e.payload.kind === "string" ? e.payload.kind : "";
          decisions.inc({ effect, kind });
        } else if (e.type === "resolution.accepted") {
          resolutions.inc({ result: "accepted", code: "" });
        } else if (e.type === "resolution.refused" && e.payload.source === undefined) {
          // HTTP refusals are counted by the server that answered them (one
          // each, though their events are coalesced); these came from the CLI.
          const code = typeof e.payload.code === "string" ? e.payload.code : "unknown";
          resolutions.inc({ result: "refused", code: code.slice(0, 64) });
        } else if (e.type === "request.created") open++;
        else if (/^request\.(approved|rejected|expired)$/.test(e.type)) {
          open = Math.max(0, open - 1);
        }
      }
    },
  };
}
