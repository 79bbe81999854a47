/**
 * A small metrics registry: counters and gauges with labels, histograms with
 * fixed buckets, and the Prometheus text exposition format (version 0.0.4).
 * Pure and synchronous: recording a sample is a Map lookup and an add.
 *
 * @example
 * const m = new Metrics();
 * const served = m.counter("warrant_http_requests_total", "HTTP requests", ["route", "status"]);
 * served.inc({ route: "/healthz", status: "200" });
 * m.expose(); // "# HELP warrant_http_requests_total HTTP requests\n# TYPE ... counter\n..."
 */

export type Labels = Record<string, string>;

/** Default latency buckets, in seconds (0.5 ms … 5 s). */
export const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(names: readonly string[], labels: Labels, extra?: [string, string]): string {
  const parts = names.map((n) => `${n}="${escapeLabel(labels[n] ?? "")}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function keyOf(names: readonly string[], labels: Labels): string {
  return names.map((n) => labels[n] ?? "").join("\u0000");
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(out: string[]): void;
}

/** A monotonically increasing count per label set. */
export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly labelNames: readonly string[]) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) return;
    const k = keyOf(this.labelNames, labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels: { ...labels }, value: by });
  }

  /** The current value for a label set (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.values.get(keyOf(this.labelNames, labels))?.value ?? 0;
  }

  render(out: string[]): void {
    for (const { labels, value } of this.values.values()) {
      out.push(`${this.name}${labelText(this.labelNames, labels)} ${num(value)}`);
    }
  }
}

/** A value that can go up and down, set directly or computed at scrape time. */
export class Gauge {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly labelNames: readonly string[],
    private readonly collect?: () => Array<[Labels, number]>,
  ) {}

  set(labels: Labels, value: number): void {
    const k = keyOf(this.labelNames, labels);
    this.values.set(k, { labels: { ...labels }, value });
  }

  add(labels: Labels, by: number): void {
    this.set(labels, this.get(labels) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(keyOf(this.labelNames, labels))?.value ?? 0;
  }

  render(out: string[]): void {
    const rows = this.collect ? this.collect() : [...this.values.values()].map((
      v,
    ) => [v.labels, v.value] as [Labels, number]);
    for (const [labels, value] of rows) {
      out.push(`${this.name}${labelText(this.labelNames, labels)} ${num(value)}`);
    }
  }
}

/** Observations counted into fixed cumulative buckets (upper bounds, ascending). */
export class Histogram {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value)) return;
    const k = keyOf(this.labelNames, labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Number of observations for a label set. */
  count(labels: Labels = {}): number {
    return this.series.get(keyOf(this.labelNames, labels))?.count ?? 0;
  }

  render(out: string[]): void {
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        out.push(
          `${this.name}_bucket${labelText(this.labelNames, s.labels, ["le", num(b)])} ${
            s.counts[i]
          }`,
        );
      });
      out.push(
        `${this.name}_bucket${labelText(this.labelNames, s.labels, ["le", "+Inf"])} ${s.count}`,
      );
      out.push(`${this.name}_sum${labelText(this.labelNames, s.labels)} ${num(s.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.labels)} ${s.count}`);
    }
  }
}

/** The registry: creates metric families and renders them all. */
export class Metrics {
  private readonly families = new Map<string, Family>();

  private register<T extends { render(out: string[]): void }>(
    name: string,
    help: string,
    type: Family["type"],
    metric: T,
  ): T {
    if (!NAME.test(name)) throw new TypeError(`invalid metric name ${name}`);
    if (this.families.has(name)) throw new TypeError(`metric ${name} registered twice`);
    this.families.set(name, { name, help, type, render: (out) => metric.render(out) });
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(name, help, "counter", new Counter(name, labelNames));
  }

  /** A gauge; with `collect`, its rows are computed at each scrape. */
  gauge(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    collect?: () => Array<[Labels, number]>,
  ): Gauge {
    return this.register(name, help, "gauge", new Gauge(name, labelNames, collect));
  }

  /**
   * A counter whose values another component tallies (monotonic, read at
   * each scrape): exposed as `counter`, so rate() works on it.
   */
  collectedCounter(
    name: string,
    help: string,
    labelNames: readonly string[],
    collect: () => Array<[Labels, number]>,
  ): void {
    this.register(name, help, "counter", new Gauge(name, labelNames, collect));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = LATENCY_BUCKETS,
  ): Histogram {
    const sorted = [...buckets].sort((a, b) => a - b);
    return this.register(name, help, "histogram", new Histogram(name, labelNames, sorted));
  }

  /** Prometheus text exposition of every family. */
  expose(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      f.render(out);
    }
    return `${out.join("\n")}\n`;
  }
}
