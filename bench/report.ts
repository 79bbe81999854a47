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
import type { HistoryResult, SimpleBytes } from "./history.ts";
import type { StartupPhases, StartupResult, StartupVsEcho } from "./startup.ts";
import type { GateJson } from "./gate.ts";
import type { HttpJson } from "./http.ts";
import { formatMachineInfo, machineInfo } from "./lib/machine.ts";
import { fmt, markdownTable, ratio } from "./lib/stats.ts";

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

const verdict = (ok: boolean | null) => (ok === null ? "not measured" : ok ? "met" : "missed");
/**
 * Whether the floor meets an aim: if not, nothing warrant does can — as
 * long as the floor did at least as well as warrant (`floorNoWorse`). Where
 * warrant did better (a disk's sync time depends on the write pattern, and
 * warrant's commits synced faster than the floor's), the floor bounds
 * nothing and says so.
 */
const reach = (ok: boolean, floorNoWorse = true) =>
  ok ? "reachable" : floorNoWorse ? "out of reach here" : "no bound (warrant did better)";

/** The top categories of the gate profile, as "SQLite 31%, stdio 12%, …". */
function profileLine(g: GateJson | null, n = 4): string {
  const p = g?.profile;
  if (!p) return "no profile in this run";
  return p.categories.slice(0, n).map((c) =>
    `${c.name} ${(c.share * 100).toFixed(0)}% (${fmt((c.ms * 1000) / g!.profileCalls)} µs/govern)`
  ).join(", ");
}

/**
 * Where a sequential call's time goes, for aim 1: the gate process's CPU
 * per call over the echo gate's (Python client, 1 caller, the `kind` side),
 * and how much of it GateService.govern itself costs in-process (its
 * statements timed), the rest being the protocol around it.
 */
function sequentialLine(g: GateJson | null, kind: string): string {
  const rowOf = (k: string) => g?.python.sides.find((x) => x.kind === k)?.rows[0];
  const w = rowOf(kind);
  const e = rowOf("echo");
  const ip = g?.inproc;
  if (!w || !e || !ip) return `in-process CPU at 32 callers: ${profileLine(g)}`;
  const cpu = (r: { gate_cpu_ms: number; calls: number }) => (r.gate_cpu_ms * 1000) / r.calls;
  const over = cpu(w) - cpu(e);
  const commit = ip.statements.find((s) => s.sql === "COMMIT");
  return `the gate process spends ${fmt(over)} µs more CPU per call than the echo gate (${
    fmt(cpu(w))
  } vs ${fmt(cpu(e))} µs); GateService.govern alone, in-process, costs ${
    fmt(ip.cpuUsPerCall)
  } µs of CPU: SQLite ${fmt(ip.sqliteUsPerCall)} µs in ${fmt(ip.statementsPerCall)} statements${
    commit ? ` (${fmt(commit.perCall)} COMMITs ${fmt(commit.usPerCall)} µs)` : ""
  } and ${
    fmt(ip.cpuUsPerCall - ip.sqliteUsPerCall)
  } µs of JS (policy, canonical JSON, hashing, the store's code); the other ${
    fmt(Math.max(0, over - ip.cpuUsPerCall))
  } µs are the protocol around it (two requests read and checked, three lines written, the run_tool round trip), the event loop's turns and JIT compilation${
    anatomyLine(g, 1)
  }`;
}

/**
 * The gate's JIT compilation and system calls (bench/lib/gate-anatomy.ts)
 * as a clause for "where the time goes", or "" when they were not measured.
 */
function anatomyLine(g: GateJson | null, callers: number): string {
  const a = g?.anatomy;
  if (!a) return "";
  const parts: string[] = [];
  const j = a.jit.find((r) => r.callers === callers);
  if (j) {
    const ms = j.tiers.Baseline.ms + j.tiers.DFG.ms + j.tiers.FTL.ms;
    parts.push(
      `JavaScriptCore's compilers took ${fmt(ms)} ms (FTL ${fmt(j.tiers.FTL.ms)}) of a ${
        fmt(j.cpuMs)
      } ms gate life of ${fmt(j.calls)} governs at ${callers} caller${callers === 1 ? "" : "s"}: ${
        fmt((ms * 1000) / j.calls)
      } µs per govern`,
    );
  }
  const w = a.syscalls.find((s) => s.gate === "warrant");
  const e = a.syscalls.find((s) => s.gate !== "warrant");
  if (callers === 1 && w && e) {
    const all = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);
    const sqlite = ["pwrite64", "fcntl", "fsync", "pread64"].map((k) =>
      `${k} ${fmt(w.perCall[k] ?? 0)}`
    ).join(", ");
    parts.push(
      `a sequential govern makes ${fmt(all(w.perCall))} system calls against the echo gate's ${
        fmt(all(e.perCall))
      } (SQLite's WAL frames, locks and syncs: ${sqlite})`,
    );
  }
  return parts.length ? `; ${parts.join("; ")}` : "";
}

/**
 * The aims of issue 12 (the gate at the fsync floor, the endpoint at the
 * verify floor), each measured in this run as a ratio or against a floor,
 * with where the time goes when missed; then the no-regression checks
 * against bench/baseline.json.
 */
function perfAims(): string {
  const g = readJson<GateJson>("gate");
  const st = readJson<
    { results: StartupResult[]; vsEcho: StartupVsEcho | null; startPhases?: StartupPhases | null }
  >("startup");
  const http = readJson<HttpJson>("http");
  const hist = readJson<{ results: HistoryResult[]; simple: SimpleBytes | null }>("history");
  const rows: string[][] = [];
  const where: string[] = [];
  // 1. Round trip at the fsync floor, through the Python client, sequential.
  const py = g?.python;
  const side = (k: string) => py?.sides.find((x) => x.kind === k)?.rows[0];
  const echo = side("echo");
  if (py && !py.skipped && echo && py.fsync) {
    // Judged on the sequential rows taken in turn when the run has them
    // (bench/gate.ts InTurn), else on the table's rows.
    const turn = (k: string) => py.inTurn?.find((t) => t.kind === k);
    const pick = (k: string) => {
      const t = turn(k);
      const w = t?.warrant ?? side(k);
      return w ? { w, e: t?.echo ?? echo, f: t?.floor } : undefined;
    };
    const inTurnNote = py.inTurn?.length ? " (in turn)" : "";
    const full = pick("full")!;
    const overUs = (full.w.p50_ms - full.e.p50_ms) * 1000;
    const budget = py.commitsPerCall * py.fsync.p50 + 150;
    const ok = overUs <= budget;
    const floorOver = full.f ? (full.f.p50_ms - full.e.p50_ms) * 1000 : undefined;
    rows.push([
      `1. Python client, sequential, synchronous=full: warrant p50 − echo p50 ≤ ${py.commitsPerCall} × fdatasync p50 + 150 µs${inTurnNote}`,
      `${fmt(overUs)} µs vs ${fmt(budget)} µs (fdatasync p50 ${fmt(py.fsync.p50)} µs): ${
        ratio(overUs, budget)
      } of the budget`,
      verdict(ok),
      floorOver === undefined
        ? "—"
        : `${fmt(floorOver)} µs: ${reach(floorOver <= budget, floorOver <= overUs)}`,
    ]);
    if (!ok) {
      where.push(
        `Aim 1 (full): of ${
          fmt(overUs)
        } µs over the echo gate, the ${py.commitsPerCall} durable commits account for ${
          fmt(py.commitsPerCall * py.fsync.p50)
        } µs at the fdatasync floor and ${
          fmt(overUs - py.commitsPerCall * py.fsync.p50)
        } µs is the rest (in-process work and the disk's spread above its p50)${
          floorOver === undefined
            ? ""
            : `; the floor gate, with the same two commits and nothing else, is ${
              fmt(floorOver)
            } µs over the echo gate (p50 ${fmt(full.f!.p50_ms * 1000)} µs)${
              full.w.p50_ms >= full.f!.p50_ms
                ? `, so warrant's own work is ${
                  fmt((full.w.p50_ms - full.f!.p50_ms) * 1000)
                } µs of the call`
                : `; warrant was ${
                  fmt((full.f!.p50_ms - full.w.p50_ms) * 1000)
                } µs faster than the floor: this disk synced warrant's commits faster than the floor's smaller ones, so here the floor bounds nothing`
            }`
        }; ${sequentialLine(g, "full")}.`,
      );
    }
    for (const k of ["normal", "tmpfs"]) {
      const r = pick(k);
      if (!r) continue;
      const x = r.w.p50_ms / r.e.p50_ms;
      const fx = r.f ? r.f.p50_ms / r.e.p50_ms : undefined;
      rows.push([
        `1. Python client, sequential, ${
          k === "normal" ? "synchronous=normal" : "store on tmpfs"
        }: p50 ≤ 1.25 × echo${inTurnNote}`,
        `${fmt(r.w.p50_ms * 1000)} µs vs echo ${fmt(r.e.p50_ms * 1000)} µs: ${fmt(x)}×`,
        verdict(x <= 1.25),
        fx === undefined
          ? "—"
          : `${fmt(r.f!.p50_ms * 1000)} µs, ${fmt(fx)}×: ${reach(fx <= 1.25, fx <= x)}`,
      ]);
      if (x > 1.25) {
        where.push(
          `Aim 1 (${k}): ${
            fmt((r.w.p50_ms - r.e.p50_ms) * 1000)
          } µs per call over the echo gate with no fsync to wait for${
            r.f
              ? ` (the floor gate's p50 is ${fmt(r.f.p50_ms * 1000)} µs, ${
                fmt(fx!)
              }× echo: warrant's own work is ${
                fmt((r.w.p50_ms - r.f.p50_ms) * 1000)
              } µs of the call${
                r.w.p50_ms < r.f.p50_ms ? ", i.e. none: the floor bounds nothing here" : ""
              })`
              : ""
          }: ${sequentialLine(g, k)}.`,
        );
      }
    }
  } else {
    rows.push([
      "1. round trip at the fsync floor (Python client)",
      py?.skipped ?? "gate part not run",
      "not measured",
      "—",
    ]);
  }
  // 2. CPU per govern at 32 callers.
  const ts32 = g?.ts.find((r) => r.callers === 32);
  if (ts32) {
    const cpu = ts32.warrant.cpuUsPerCall;
    const fractions = g!.ts.map((r) =>
      `${r.callers}: ${fmt(r.warrant.callsPerSec / r.echo.callsPerSec)}`
    ).join(", ");
    const pyFr = py && !py.skipped && echo
      ? py.sides.find((x) => x.kind === "full")!.rows.map((r, i) =>
        `${r.callers}: ${
          fmt(r.calls_per_s / py.sides.find((x) => x.kind === "echo")!.rows[i]!.calls_per_s)
        }`
      ).join(", ")
      : "not run";
    rows.push([
      "2. gate process CPU per govern at 32 callers ≤ 100 µs",
      `${fmt(cpu)} µs (${
        ratio(cpu, 100)
      } of the aim); calls/s ÷ echo by callers — TS client ${fractions}; Python client ${pyFr}`,
      verdict(cpu <= 100),
      ts32.floor
        ? `${fmt(ts32.floor.cpuUsPerCall)} µs: ${
          reach(ts32.floor.cpuUsPerCall <= 100, ts32.floor.cpuUsPerCall <= cpu)
        }`
        : "—",
    ]);
    if (cpu > 100) {
      where.push(
        `Aim 2: ${fmt(cpu)} µs of CPU per govern at 32 callers${
          ts32.floor
            ? ` (the floor gate, with two durable commits and group commit, ${
              fmt(ts32.floor.cpuUsPerCall)
            } µs)`
            : ""
        }${
          g!.pinned
            ? `; with the gate pinned to one core and the load to the other (same sequence), warrant spends ${
              fmt(g!.pinned.warrant)
            } µs (the floor ${fmt(g!.pinned.floor)}, the echo gate ${fmt(g!.pinned.echo)}): ${
              fmt(Math.abs(cpu - g!.pinned.warrant))
            } µs ${
              cpu >= g!.pinned.warrant ? "less" : "more"
            } than when it shares both cores with its load`
            : ""
        }: ${profileLine(g, 6)}${anatomyLine(g, 32)}.`,
      );
    }
  }
  // 3. Start-up vs echo.
  const v = st?.vsEcho;
  if (v) {
    const e = v.existing.median / v.echo.median;
    const n = v.newStore.median / v.echo.median;
    const f = v.floor ? v.floor.median / v.echo.median : undefined;
    rows.push([
      "3. spawn → ready ≤ 1.3 × echo (existing store, signed 10-rule policy)",
      `${fmt(v.existing.median)} ms vs ${fmt(v.echo.median)} ms: ${fmt(e)}×`,
      verdict(e <= 1.3),
      f === undefined ? "—" : `${fmt(v.floor!.median)} ms, ${fmt(f)}×: ${reach(f <= 1.3, f <= e)}`,
    ]);
    rows.push([
      "3. spawn → ready ≤ 2 × echo (brand-new store)",
      `${fmt(v.newStore.median)} ms vs ${fmt(v.echo.median)} ms: ${fmt(n)}×`,
      verdict(n <= 2),
      v.floorNew
        ? `${fmt(v.floorNew.median)} ms, ${fmt(v.floorNew.median / v.echo.median)}×: ${
          reach(v.floorNew.median / v.echo.median <= 2, v.floorNew.median <= v.newStore.median)
        }`
        : "—",
    ]);
    if (e > 1.3 || n > 2) {
      where.push(
        `Aim 3: start-up is ${
          fmt(v.existing.median - v.echo.median)
        } ms over the echo gate on an existing store (${
          fmt(v.newStore.median - v.existing.median)
        } ms more to create one)${
          v.floor
            ? `; the floor gate (read config and policy, verify the signature, open the store, commit a session row) starts in ${
              fmt(v.floor.median)
            } ms, ${
              fmt(v.floor.median - v.echo.median)
            } ms over the echo gate, so warrant's own start is ${
              fmt(v.existing.median - v.floor.median)
            } ms over the floor`
            : ""
        }${
          st?.startPhases
            ? `; the gate's own clock (medians, ms from process start): ${
              fmt(st.startPhases.before_open_ms ?? NaN)
            } before its first line of start-up code runs (the runtime and the program's modules; the echo gate's whole start is ${
              fmt(v.echo.median)
            }), config ${fmt(st.startPhases.config_ms ?? NaN)}, store ${
              fmt(st.startPhases.store_ms ?? NaN)
            }, policy (read, Ed25519, parse, compile) ${
              fmt(st.startPhases.policy_ms ?? NaN)
            }, session (reconcile, its committed row) ${
              fmt(st.startPhases.session_ms ?? NaN)
            }, the rest ${fmt(st.startPhases.serve_ms ?? NaN)}`
            : ": loading the larger binary's modules, opening the store, reading and verifying the signed policy, reconciling and opening the session"
        } — each before \`ready\`.`,
      );
    }
  }
  // 4. Endpoint.
  if (http) {
    rows.push([
      "4. server CPU per accepted resolution ≤ 300 µs (signature included)",
      `${fmt(http.cpuUsPerResolution)} µs (${ratio(http.cpuUsPerResolution, 300)} of the aim${
        http.cpuUsPerResolutionWarm !== undefined
          ? `; warm: ${fmt(http.cpuUsPerResolutionWarm)} µs`
          : ""
      }; a GET: ${fmt(http.cpuUsPerGet)} µs${
        http.floorCpuUsPerGet !== undefined
          ? `; the floor server's GET: ${fmt(http.floorCpuUsPerGet)} µs`
          : ""
      })`,
      verdict(http.cpuUsPerResolution <= 300),
      http.floorCpuUsPerPost === undefined
        ? "—"
        : `${fmt(http.floorCpuUsPerPost)} µs: ${
          reach(http.floorCpuUsPerPost <= 300, http.floorCpuUsPerPost <= http.cpuUsPerResolution)
        }`,
    ]);
    rows.push([
      `4. POST p99 ≤ 20 ms at ${http.post.clients} concurrent approvers (pre-signed)`,
      `${fmt(http.post.p99)} ms (${fmt(http.post.perSec)} POST/s)`,
      verdict(http.post.p99 <= 20),
      http.floorPost
        ? `${fmt(http.floorPost.p99)} ms (${fmt(http.floorPost.perSec)} POST/s): ${
          reach(http.floorPost.p99 <= 20, http.floorPost.p99 <= http.post.p99)
        }`
        : "—",
    ]);
    rows.push([
      `4. GET p99 ≤ 5 ms at ${http.get.clients} concurrent readers`,
      `${fmt(http.get.p99)} ms (${fmt(http.get.perSec)} GET/s)`,
      verdict(http.get.p99 <= 5),
      http.floorGet
        ? `${fmt(http.floorGet.p99)} ms (${fmt(http.floorGet.perSec)} GET/s): ${
          reach(http.floorGet.p99 <= 5, http.floorGet.p99 <= http.get.p99)
        }`
        : "—",
    ]);
    if (http.cpuUsPerResolution > 300 || http.post.p99 > 20 || http.get.p99 > 5) {
      where.push(
        `Aim 4: per accepted resolution ${fmt(http.cpuUsPerResolution)} µs of server CPU${
          http.cpuSplit
            ? ` (${
              fmt(http.cpuSplit.post.system)
            } µs of it in the kernel: loopback TCP, the commit's fdatasync)`
            : ""
        }: native Ed25519 verify ~45–50 µs (node:crypto here, in a loop and inside the endpoint), then strict JSON, the schema, the store transaction with its fsync-bound commit, the reply's view. The latency rows are a closed loop (each client sends again as soon as it is answered), so the mean latency is clients ÷ throughput whatever the server does: POST p99 ${
          fmt(http.post.p99)
        } ms at ${fmt(http.post.perSec)} POST/s (${
          fmt((http.post.clients * 1000) / http.post.perSec)
        } ms = ${http.post.clients} ÷ throughput${
          http.post.cpu
            ? `; in that loop the server spent ${
              fmt(http.post.cpu.user + http.post.cpu.system)
            } µs of CPU per POST, all its threads, and the load process ${
              fmt(http.post.cpu.client)
            } µs, on the same two cores`
            : ""
        }), GET p99 ${fmt(http.get.p99)} ms at ${fmt(http.get.perSec)} GET/s (${
          fmt((http.get.clients * 1000) / http.get.perSec)
        } ms); 5 ms at ${http.get.clients} readers would need ${
          fmt((http.get.clients * 1000) / 5)
        } GET/s${
          http.floorCpuUsPerPost !== undefined && http.floorPost && http.floorGet
            ? `. The floor server (bench/floor-serve.ts: verify, one durable row with group commit, a fixed GET body) costs ${
              fmt(http.floorCpuUsPerPost)
            } µs per POST and ${
              fmt(http.floorCpuUsPerGet ?? NaN)
            } µs per GET one at a time, and under the same loops answers ${
              fmt(http.floorPost.perSec)
            } POST/s (p99 ${fmt(http.floorPost.p99)} ms) and ${
              fmt(http.floorGet.perSec)
            } GET/s (p99 ${fmt(http.floorGet.p99)} ms)`
            : ""
        }.`,
      );
    }
  }
  // 5. Storage.
  const simple = hist?.simple;
  if (simple) {
    rows.push([
      `5. ≤ 1 KB per simple action at ${simple.actions.toLocaleString("en-US")} actions`,
      `${fmt(simple.perAction)} B (${ratio(simple.perAction, 1024)} of the aim)`,
      verdict(simple.perAction <= 1024),
      "—",
    ]);
    if (simple.perAction > 1024 && simple.tables) {
      where.push(
        `Aim 5: bytes per simple action by table/index: ${
          simple.tables.slice(0, 5).map((t) => `${t.name} ${fmt(t.perAction)}`).join(", ")
        } (4 audit events per allowed call, each with its 32-byte hash (prev_hash is read from the row before, not stored), its action id, and its index entry).`,
      );
    }
  }
  // No regression (≤ 10% worse than the baseline): against the baseline
  // revision measured in this run (bench/baseline.ts) when it ran, else
  // against the numbers stored in bench/baseline.json (another day).
  const stored = existsSync(join(ROOT, "bench/baseline.json"))
    ? JSON.parse(readFileSync(join(ROOT, "bench/baseline.json"), "utf8")) as Baseline
    : null;
  const sameRun = readJson<BaselineRun>("baseline");
  const base:
    | { source: string; policy: Record<string, number>; p50: number[]; ready10k?: number }
    | null = sameRun
      ? {
        source: `${sameRun.rev} built and measured in this run by bench/baseline.ts`,
        policy: sameRun.policy_decisions_per_s,
        p50: sameRun.history.map((h) => h.p50),
        ...(sameRun.ready_ms["10000"] !== undefined ? { ready10k: sameRun.ready_ms["10000"] } : {}),
      }
      : stored
      ? {
        source: `bench/baseline.json: ${stored.source}`,
        policy: stored.policy_decisions_per_s,
        p50: stored.history_govern_p50_us,
        ready10k: stored.ready_10000_rules_ms,
      }
      : null;
  const noRegress: string[][] = [];
  if (base) {
    // This tree's decisions/s: interleaved with the baseline's in one process
    // when bench/baseline.ts measured them (bench/policy-ab.ts), else this
    // run's policy part.
    const pol = readMd("policy");
    const nowBySize: Record<string, number> = sameRun?.policy_now_decisions_per_s ??
      Object.fromEntries(
        (pol ? tableAfter(pol, "### Policy evaluation (warrant)") : []).map((r) => [
          num(r[0]).toString(),
          num(r[5]),
        ]),
      );
    for (const [rules, now] of Object.entries(nowBySize)) {
      const was = base.policy[rules];
      if (!was) continue;
      const q = sameRun?.policy_ratio?.[rules];
      noRegress.push([
        `policy decisions/s at ${Number(rules).toLocaleString("en-US")} rules ≥ 0.9 × baseline${
          sameRun?.policy_now_decisions_per_s ? " (interleaved in one process)" : ""
        }`,
        `${fmt(now)} vs ${fmt(was)}: ${fmt(now / was)}×${
          q ? ` (per-round ${fmt(q.q1)}–${fmt(q.q3)})` : ""
        }`,
        verdict(now >= was / 1.1),
      ]);
    }
    // This tree's govern p50s: run in turn with the baseline's on tmpfs when
    // bench/baseline.ts measured both, else this run's history part.
    const turns = sameRun?.history_now;
    const hr = turns ??
      (hist?.results ?? []).map((r) => ({ actions: r.actions, p50: r.govern.p50 }));
    hr.forEach((r, i) => {
      const was = base.p50[i];
      if (was === undefined) return;
      noRegress.push([
        `history govern p50 at ${r.actions.toLocaleString("en-US")} actions ≤ 1.1 × baseline${
          turns ? " (run in turn, tmpfs)" : ""
        }`,
        `${fmt(r.p50)} µs vs ${fmt(was)} µs: ${fmt(r.p50 / was)}×`,
        verdict(r.p50 <= was * 1.1),
      ]);
    });
    // This tree's ready: spawned in turn with the baseline's binary when
    // bench/baseline.ts measured both, else this run's start-up part.
    const spawned = sameRun?.ready_now_ms?.["10000"];
    const big = spawned ?? st?.results?.find((r) => r.rules === 10_000)?.median;
    if (big !== undefined && base.ready10k !== undefined) {
      noRegress.push([
        `ready with 10,000 rules ≤ 1.1 × baseline${
          spawned !== undefined ? " (spawned in turn)" : ""
        }`,
        `${fmt(big)} ms vs ${fmt(base.ready10k)} ms: ${fmt(big / base.ready10k)}×`,
        verdict(big <= base.ready10k * 1.1),
      ]);
    }
  }
  return `${
    rows.length
      ? `${
        markdownTable(["aim (issue 12)", "measured in this run", "", "the floor, this run"], rows)
      }
The floor: the same measurement of the least any implementation with warrant's promises must do, done plainly (bench/floor-gate.ts: the echo gate plus a verified policy at start and two durable SQLite commits per call; bench/floor-serve.ts: a bare Bun.serve that verifies each resolution and commits it durably, with group commit). "Out of reach here": the floor itself misses the aim on this machine (and did no worse than warrant), so no change to warrant can meet it; "no bound": warrant did better than the floor, which then bounds nothing.
`
      : "(no results)"
  }
${
    where.length
      ? `\nWhere the time goes (missed aims):\n\n${where.map((w) => `- ${w}`).join("\n")}\n`
      : ""
  }
${
    noRegress.length
      ? `No regression against the baseline (${base!.source}):\n\n${
        markdownTable(["check", "measured", ""], noRegress)
      }\n`
      : ""
  }`;
}

/** bench/out/baseline.json: the baseline revision measured in this run (bench/baseline.ts). */
interface BaselineRun {
  rev: string;
  policy_decisions_per_s: Record<string, number>;
  /** This tree's, interleaved with the baseline's (absent in older runs). */
  policy_now_decisions_per_s?: Record<string, number>;
  /** This tree ÷ baseline per size, and the per-round ratios' quartiles. */
  policy_ratio?: Record<string, { ratio: number; q1: number; median: number; q3: number }>;
  history: Array<{ actions: number; p50: number; p99: number }>;
  /** This tree's, run in turn with the baseline's on tmpfs (absent in older runs). */
  history_now?: Array<{ actions: number; p50: number; p99: number }>;
  ready_ms: Record<string, number>;
  /** This tree's binary, spawned in turn with the baseline's (absent in older runs). */
  ready_now_ms?: Record<string, number>;
}

interface Baseline {
  source: string;
  policy_decisions_per_s: Record<string, number>;
  history_govern_p50_us: number[];
  history_govern_p99_us: number[];
  ready_10000_rules_ms: number;
  ready_10_rules_ms: number;
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

### Performance aims (issue 12)

${perfAims()}

## Charts

${chartMd.join("\n\n")}

${sections.join("\n\n")}
${notes.length ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join("\n")}\n` : ""}`;
  writeFileSync(join(ROOT, "bench/RESULTS.md"), text);
  console.error(`report: wrote bench/RESULTS.md and ${chartMd.length} chart(s)`);
}

if (import.meta.main) main();
