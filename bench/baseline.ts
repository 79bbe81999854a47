/**
 * The no-regression baseline, measured in the same run: the code as it was
 * when issue 12 was filed (`rev` in bench/baseline.json) is extracted with
 * `git archive` into a temporary folder, built with its own scripts/build,
 * and its own history benchmark runs there, now, on this machine; its
 * policy code runs interleaved with this tree's in one process
 * (bench/policy-ab.ts), and its binary starts in turn with this tree's
 * (bench/startup.ts --versus). report.ts compares this run's numbers with these, so a
 * slower or busier machine moves both sides alike (the stored numbers of
 * bench/baseline.json are from another day and are shown for reference).
 *
 *   bun bench/baseline.ts [--keep]     # --keep: leave the extracted tree
 *
 * Writes bench/out/baseline.json and prints a markdown table. Needs the git
 * history (a clone, not an export) and the installed node_modules (the
 * baseline's dependencies are a subset of today's, same versions).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fmt, markdownTable } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dir, "..");
const keep = process.argv.includes("--keep");
const { rev } = JSON.parse(readFileSync(join(ROOT, "bench/baseline.json"), "utf8")) as {
  rev: string;
};

function run(cmd: string, args: string[], cwd: string, what: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(
      `baseline: ${what} failed (${r.status}):\n${r.stderr}${r.stdout}`.slice(0, 4000),
    );
  }
  return r.stdout;
}

const tree = join(tmpdir(), `warrant-bench-baseline-${rev}`);
if (!existsSync(join(tree, "dist/warrant"))) {
  console.error(`baseline: extracting ${rev} into ${tree} and building it`);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, "scripts/toolchain"), { recursive: true });
  const tar = spawnSync("sh", ["-c", `git archive ${rev} | tar -x -C '${tree}'`], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (tar.status !== 0) {
    throw new Error(
      `baseline: git archive ${rev} failed (a clone with its history is needed): ${tar.stderr}`,
    );
  }
  // Hard links: no copy, no network (the baseline's dependencies are a subset of today's).
  run(
    "cp",
    ["-al", join(ROOT, "node_modules"), join(tree, "node_modules")],
    ROOT,
    "linking node_modules",
  );
  run(
    "cp",
    [
      "-al",
      join(ROOT, "scripts/toolchain/node_modules"),
      join(tree, "scripts/toolchain/node_modules"),
    ],
    ROOT,
    "linking the toolchain",
  );
  run("scripts/build", [], tree, `building ${rev}`);
}

const bun = process.execPath;
// The policy side: the baseline's own parse, compile and evaluate against
// this tree's, interleaved in one process (bench/policy-ab.ts says why: two
// processes taking turns varied by more than the check's 10%).
console.error(`baseline: policy code of ${rev} against this tree's, interleaved in one process`);
const ab = JSON.parse(
  run(bun, ["bench/policy-ab.ts", "--baseline", tree], ROOT, "bench/policy-ab.ts"),
) as {
  rounds: number;
  block: number;
  sizes: Record<
    string,
    { base: number; now: number; ratio: number; q1: number; median: number; q3: number }
  >;
};
const policy = Object.fromEntries(Object.entries(ab.sizes).map(([n, v]) => [n, v.base]));
const policyNow = Object.fromEntries(Object.entries(ab.sizes).map(([n, v]) => [n, v.now]));
// History: the baseline's history bench and this tree's, run in turn
// (this, baseline, baseline, this) with their stores on tmpfs, and each
// side's two govern p50s averaged per size. Run minutes apart on the disk,
// one against the other read 0.75x-1.31x for the same code (fdatasync's
// spread, and the machine's): this compares the code.
type HistoryRun = { results: Array<{ actions: number; govern: { p50: number; p99: number } }> };
const shm = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const historyRuns: { base: HistoryRun[]; now: HistoryRun[] } = { base: [], now: [] };
for (const side of ["now", "base", "base", "now"] as const) {
  const cwd = side === "base" ? tree : ROOT;
  const dir = mkdtempSync(join(shm, `warrant-history-${side}-`));
  const out = join(dir, "history.json");
  console.error(
    `baseline: history bench of ${side === "base" ? rev : "this tree"} (store in ${dir})`,
  );
  try {
    run(
      bun,
      [
        "bench/history.ts",
        "--dir",
        dir,
        ...(side === "now" ? ["--simple", "0", "--out", out] : []),
      ],
      cwd,
      `the history bench of ${side === "base" ? rev : "this tree"}`,
    );
    historyRuns[side].push(
      JSON.parse(
        readFileSync(side === "base" ? join(tree, "bench/out/history.json") : out, "utf8"),
      ) as HistoryRun,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
/** Per size: the mean of a side's govern p50s over its runs. */
const meanP50 = (runs: HistoryRun[]) =>
  runs[0]!.results.map((r, i) => ({
    actions: r.actions,
    p50: runs.reduce((a, x) => a + x.results[i]!.govern.p50, 0) / runs.length,
    p99: runs.reduce((a, x) => a + x.results[i]!.govern.p99, 0) / runs.length,
    runs: runs.map((x) => x.results[i]!.govern.p50),
  }));
// Start-up: the baseline's binary and this tree's, spawn by spawn in turn.
console.error(`baseline: ${rev}: start-up, interleaved with this tree's binary`);
const ready = JSON.parse(
  run(bun, ["bench/startup.ts", "--versus", join(tree, "dist/warrant")], ROOT, "start-up --versus"),
) as Record<string, { now: number; other: number }>;
if (!keep) rmSync(tree, { recursive: true, force: true });

const out = {
  rev,
  measured: new Date().toISOString(),
  policy_decisions_per_s: policy,
  /** This tree's, interleaved with the baseline's in one process (bench/policy-ab.ts). */
  policy_now_decisions_per_s: policyNow,
  /** Per size: this tree ÷ baseline over all rounds, and the per-round ratios' quartiles. */
  policy_ratio: Object.fromEntries(
    Object.entries(ab.sizes).map((
      [n, v],
    ) => [n, { ratio: v.ratio, q1: v.q1, median: v.median, q3: v.q3 }]),
  ),
  /** The baseline's history bench, store on tmpfs, in turn with this tree's (mean of 2 runs). */
  history: meanP50(historyRuns.base),
  /** This tree's, in the same turns. */
  history_now: meanP50(historyRuns.now),
  history_note:
    "store on tmpfs; this tree, baseline, baseline, this tree; mean of each side's two p50s",
  ready_ms: Object.fromEntries(Object.entries(ready).map(([n, r]) => [n, r.other])),
  /** This tree's binary, spawned in turn with the baseline's. */
  ready_now_ms: Object.fromEntries(Object.entries(ready).map(([n, r]) => [n, r.now])),
};
mkdirSync(join(ROOT, "bench/out"), { recursive: true });
writeFileSync(join(ROOT, "bench/out/baseline.json"), JSON.stringify(out, null, 2));
console.log(`## The baseline (${rev}), measured in this run

The code when issue 12 was filed, built and benchmarked now: its own history benchmark, run in turn with this tree's (this tree, baseline, baseline, this tree; stores on tmpfs; the mean of each side's two govern p50s); its binary started in turn with this tree's (spawn by spawn, medians). Its policy code (parse, compile, evaluate) runs in one process with this tree's, interleaved: ${ab.rounds} rounds of ${
  ab.block.toLocaleString("en-US")
} decisions on each side per size (bench/policy-ab.ts); decisions/s are each side's total.

${
  markdownTable(
    ["measure", "baseline now", "this tree"],
    [
      ...Object.entries(policy).map((
        [n, v],
      ) => [
        `policy decisions/s at ${Number(n).toLocaleString("en-US")} rules`,
        fmt(v),
        fmt(policyNow[n] ?? NaN),
      ]),
      ...out.history.map((
        h,
        i,
      ) => [
        `history govern p50 at ${h.actions.toLocaleString("en-US")} actions (tmpfs)`,
        `${fmt(h.p50)} µs (${h.runs.map((x) => fmt(x)).join(", ")})`,
        `${fmt(out.history_now[i]!.p50)} µs (${
          out.history_now[i]!.runs.map((x) => fmt(x)).join(", ")
        })`,
      ]),
      ...Object.entries(out.ready_ms).map((
        [n, v],
      ) => [
        `ready with ${Number(n).toLocaleString("en-US")} rules`,
        `${fmt(v)} ms`,
        `${fmt(out.ready_now_ms[n] ?? NaN)} ms`,
      ]),
    ],
  )
}
`);
