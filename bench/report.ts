/**
 * Collects the benchmark parts' results into bench/RESULTS.md with SVG
 * charts in bench/charts/: policy decision latency vs rule count per engine
 * (bench/out/compare.json, log-log) and gate round trip vs concurrency
 * (parsed from the gate part's markdown, bench/out/gate.md, which
 * scripts/bench captures; the gate bench writes no JSON). Every part's
 * markdown (bench/out/<part>.md) is included as printed, in a fixed order;
 * missing parts are listed as not run.
 *
 *   bun bench/report.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EngineResult } from "./compare.ts";
import type { HistoryResult } from "./history.ts";
import type { StartupResult } from "./startup.ts";
import { formatMachineInfo, machineInfo } from "./lib/machine.ts";
import { fmt, markdownTable } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dir, "..");
const OUT = join(ROOT, "bench/out");
const PARTS = ["compare", "policy", "history", "startup", "gate", "http", "mcp", "store"] as const;

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** Ticks for an axis: powers of ten on a log axis, five even steps otherwise. */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  }
  const raw = (hi - lo) / 5 || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v < hi + step; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/**
 * A self-contained SVG line chart (no dependencies): one polyline with dots
 * per series, a legend, axis labels, optional log scales.
 *
 * @example lineChart({ title: "t", x: "rules", y: "µs", logX: true, series: [{ name: "a", points: [[10, 1], [100, 2]] }] })
 */
export function lineChart(o: {
  title: string;
  x: string;
  y: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
}): string {
  const W = 640, H = 400, L = 70, R = 150, T = 40, B = 50;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const f = (log?: boolean) => (v: number) => (log ? Math.log10(v) : v);
  const fx = f(o.logX), fy = f(o.logY);
  const xt = ticks(Math.min(...xs), Math.max(...xs), !!o.logX);
  const yt = ticks(o.logY ? Math.min(...ys) : 0, Math.max(...ys), !!o.logY);
  const [x0, x1] = [fx(xt[0]!), fx(xt[xt.length - 1]!)];
  const [y0, y1] = [fy(yt[0]!), fy(yt[yt.length - 1]!)];
  const px = (v: number) => L + ((fx(v) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (v: number) => H - B - ((fy(v) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const label = (v: number) =>
    v >= 1 ? v.toLocaleString("en-US", { maximumFractionDigits: 2 }) : fmt(v);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
  ];
  for (const t of xt) {
    parts.push(
      `<line x1="${px(t)}" y1="${T}" x2="${px(t)}" y2="${H - B}" stroke="#ddd"/>`,
      `<text x="${px(t)}" y="${H - B + 16}" text-anchor="middle">${label(t)}</text>`,
    );
  }
  for (const t of yt) {
    parts.push(
      `<line x1="${L}" y1="${py(t).toFixed(1)}" x2="${W - R}" y2="${
        py(t).toFixed(1)
      }" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${
      H - T - B
    }" fill="none" stroke="#333"/>`,
    `<text x="${L + (W - L - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.x)}</text>`,
    `<text transform="translate(16 ${T + (H - T - B) / 2}) rotate(-90)" text-anchor="middle">${
      esc(o.y)
    }</text>`,
  );
  o.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.join(" ")}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(",");
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${c}"/>`);
    }
    const ly = T + 10 + i * 18;
    parts.push(
      `<line x1="${W - R + 12}" y1="${ly}" x2="${
        W - R + 32
      }" y2="${ly}" stroke="${c}" stroke-width="2"/>`,
      `<text x="${W - R + 38}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function readJson<T>(part: string): T | null {
  const p = join(OUT, `${part}.json`);
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as T) : null;
}

function readMd(part: string): string | null {
  const p = join(OUT, `${part}.md`);
  return existsSync(p) ? readFileSync(p, "utf8").trim() : null;
}

/** Body rows of the first markdown table after `heading` in `md`, as trimmed cells. */
export function tableAfter(md: string, heading: string): string[][] {
  const at = md.indexOf(heading);
  if (at < 0) return [];
  const lines = md.slice(at).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  if (first < 0) return [];
  const rows: string[][] = [];
  for (let i = first + 2; i < lines.length && lines[i]!.startsWith("|"); i++) {
    rows.push(lines[i]!.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const num = (s: string | undefined) =>
  Number((s ?? "").replace(/,/g, "").replace(/[^0-9.eE+-].*$/, ""));

function charts(notes: string[]): string[] {
  mkdirSync(join(ROOT, "bench/charts"), { recursive: true });
  const md: string[] = [];
  const compare = readJson<{ results: EngineResult[] }>("compare");
  if (compare) {
    for (const q of ["p50", "p99"] as const) {
      const names = [...new Set(compare.results.map((r) => r.engine))];
      const svg = lineChart({
        title: `Policy decision latency (${q}) vs rules`,
        x: "rules (log)",
        y: `${q} µs per decision (log)`,
        logX: true,
        logY: true,
        series: names.map((n) => ({
          name: n,
          points: compare.results.filter((r) => r.engine === n).map((r) => [r.rules, r[q]]),
        })),
      });
      writeFileSync(join(ROOT, `bench/charts/policy-${q}.svg`), svg);
      md.push(`![policy ${q} vs rules](charts/policy-${q}.svg)`);
    }
  } else notes.push("No policy latency chart: bench/out/compare.json is missing.");
  const gate = readMd("gate");
  const rows = gate ? tableAfter(gate, "## Gate: govern round trip") : [];
  if (rows.length > 0) {
    const svg = lineChart({
      title: "Gate round trip (p50) vs concurrent callers",
      x: "concurrent callers (log)",
      y: "p50 ms per govern",
      logX: true,
      series: [
        { name: "warrant", points: rows.map((r) => [num(r[0]), num(r[2])]) },
        { name: "echo floor", points: rows.map((r) => [num(r[0]), num(r[5])]) },
      ],
    });
    writeFileSync(join(ROOT, "bench/charts/gate-round-trip.svg"), svg);
    md.push("![gate round trip vs concurrency](charts/gate-round-trip.svg)");
  } else notes.push("No round-trip chart: bench/out/gate.md (the gate part's output) is missing.");
  return md;
}

/** The aims of the benchmark issue, checked against the JSON results. */
function aims(): string {
  const rows: string[][] = [];
  const c = readJson<{ results: EngineResult[] }>("compare")?.results;
  const at = (e: string, n: number) => c?.find((r) => r.engine === e && r.rules === n);
  const w = at("warrant", 1000);
  if (w) {
    rows.push([
      "warrant p99 ≤ 20 µs at 1,000 rules",
      `${fmt(w.p99)} µs`,
      w.p99 <= 20 ? "met" : "missed",
    ]);
    for (const e of ["cedar", "casbin"]) {
      const o = at(e, 1000);
      if (o) {
        const x = w.perSec / o.perSec;
        rows.push([
          `≥ 10× faster than ${e} at 1,000 rules`,
          `${fmt(x)}×`,
          x >= 10 ? "met" : "missed",
        ]);
      }
    }
  }
  const s = readJson<{ results: StartupResult[] }>("startup")?.results?.[0];
  if (s) {
    rows.push([
      "start-up ≤ 30 ms (10 rules, median)",
      `${fmt(s.median)} ms`,
      s.median <= 30 ? "met" : "missed",
    ]);
  }
  const h = readJson<{ results: HistoryResult[] }>("history")?.results;
  if (h && h.length > 1) {
    const spreadOf = (xs: number[]) => Math.max(...xs) / Math.min(...xs);
    const spread = Math.max(
      spreadOf(h.map((r) => r.govern.p50)),
      spreadOf(h.map((r) => r.govern.p99)),
    );
    rows.push([
      `decision latency flat (≤ 2×) from ${h[0]!.actions.toLocaleString("en-US")} to ${
        h[h.length - 1]!.actions.toLocaleString("en-US")
      } actions`,
      `p50/p99 max ÷ min ${fmt(spread)}×`,
      spread <= 2 ? "met" : "missed",
    ]);
    const b = h[h.length - 1]!.bytesPerAction;
    rows.push(["≤ 1.5 KB stored per action", `${fmt(b)} B`, b <= 1536 ? "met" : "missed"]);
  }
  return rows.length ? markdownTable(["aim", "measured", ""], rows) : "(no results)";
}

function main(): void {
  const notes: string[] = [];
  const chartMd = charts(notes);
  const sections: string[] = [];
  for (const p of PARTS) {
    const md = readMd(p);
    if (md) sections.push(md);
    else notes.push(`Part "${p}" has no output (bench/out/${p}.md): not run.`);
  }
  const machine = readJson<{ machine: ReturnType<typeof machineInfo> }>("compare")?.machine ??
    machineInfo();
  const text = `# Benchmark results

Written by \`bun bench/report.ts\` (run \`scripts/bench\` to regenerate everything). Each part's own output follows; raw JSON is in bench/out/.

## Machine

${formatMachineInfo(machine)}

## Aims

${aims()}

## Charts

${chartMd.join("\n\n")}

${sections.join("\n\n")}
${notes.length ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join("\n")}\n` : ""}`;
  writeFileSync(join(ROOT, "bench/RESULTS.md"), text);
  console.error(`report: wrote bench/RESULTS.md and ${chartMd.length} chart(s)`);
}

if (import.meta.main) main();
