/** The metrics registry's Prometheus text. */
import { expect, test } from "bun:test";
import { Metrics } from "../../src/app/metrics.ts";

test("counters, gauges and histograms render in the exposition format", () => {
  const m = new Metrics();
  const c = m.counter("x_total", "things", ["kind"]);
  c.inc({ kind: 'a"b\\c\nd' });
  c.inc({ kind: "plain" }, 2);
  m.gauge("g", "a gauge", [], () => [[{}, 7]]);
  const h = m.histogram("lat_seconds", "latency", ["op"], [0.1, 1]);
  h.observe({ op: "w" }, 0.05);
  h.observe({ op: "w" }, 0.5);
  h.observe({ op: "w" }, 5);
  expect(m.expose()).toBe(
    [
      "# HELP x_total things",
      "# TYPE x_total counter",
      'x_total{kind="a\\"b\\\\c\\nd"} 1',
      'x_total{kind="plain"} 2',
      "# HELP g a gauge",
      "# TYPE g gauge",
      "g 7",
      "# HELP lat_seconds latency",
      "# TYPE lat_seconds histogram",
      'lat_seconds_bucket{op="w",le="0.1"} 1',
      'lat_seconds_bucket{op="w",le="1"} 2',
      'lat_seconds_bucket{op="w",le="+Inf"} 3',
      'lat_seconds_sum{op="w"} 5.55',
      'lat_seconds_count{op="w"} 3',
      "",
    ].join("\n"),
  );
  expect(() => m.counter("x_total", "again")).toThrow();
  expect(() => m.counter("bad name", "x")).toThrow();
});
