/**
 * What a gate process spends besides the work of a govern, for the "where
 * the time goes" of issue 12's aims 1 and 2 (bench/gate.ts runs it):
 *
 * - JIT compilation. JavaScriptCore compiles hot functions again and again,
 *   up its tiers (Baseline, DFG, FTL), on a JIT worker thread whose CPU is
 *   the gate process's CPU. The gate runs once per row with JSC's own
 *   compile-time report switched on (BUN_JSC_report*CompileTimes, a
 *   debugging knob of the runtime, used here to measure only), and the
 *   reported milliseconds are summed from its stderr.
 * - System calls. The same sequential governs for warrant and the echo gate
 *   under `strace -f -c` (when strace is installed): calls per govern by
 *   name. strace slows every call down, so these runs are counted, never
 *   timed.
 *
 * Both run the gate with its store on tmpfs when there is one, so neither
 * measures the disk.
 */
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fmt, markdownTable } from "./stats.ts";

export interface JitRow {
  callers: number;
  /** Governs the gate answered over its life (warm-up included). */
  calls: number;
  /** The gate process's CPU over its whole life (start-up included), ms. */
  cpuMs: number;
  /** Compile time JSC reported per tier, ms, and how many compilations. */
  tiers: Record<"Baseline" | "DFG" | "FTL", { ms: number; count: number }>;
}

export interface SyscallSide {
  gate: string;
  calls: number;
  /** System calls per govern by name (the whole process: start-up included, ÷ calls). */
  perCall: Record<string, number>;
}

export interface GateAnatomy {
  /** Why a part did not run, or null. */
  jitSkipped: string | null;
  jit: JitRow[];
  syscallsSkipped: string | null;
  syscalls: SyscallSide[];
}

/** The env that makes JavaScriptCore report every compilation on stderr. */
export const JIT_REPORT_ENV: Record<string, string> = {
  BUN_JSC_reportBaselineCompileTimes: "true",
  BUN_JSC_reportDFGCompileTimes: "true",
  BUN_JSC_reportFTLCompileTimes: "true",
};

/**
 * Sums JSC's compile reports, lines like
 * `Optimized f#AbCd:[…] using FTL with FTL into 5024 bytes in 22.98 ms (DFG: …)`.
 */
export function parseJitReport(stderr: string): JitRow["tiers"] {
  const tiers: JitRow["tiers"] = {
    Baseline: { ms: 0, count: 0 },
    DFG: { ms: 0, count: 0 },
    FTL: { ms: 0, count: 0 },
  };
  for (
    const m of stderr.matchAll(/using (Baseline|DFG|FTL) with \w+ into \d+ bytes in ([\d.]+) ms/g)
  ) {
    const t = tiers[m[1] as keyof JitRow["tiers"]];
    t.ms += Number(m[2]);
    t.count++;
  }
  return tiers;
}

/** Why strace cannot count here, or null. */
export function straceMissing(): string | null {
  const r = spawnSync("strace", ["-V"], { encoding: "utf8" });
  return r.status === 0 ? null : "strace is not installed (apt-get install strace)";
}

/** argv that runs `argv` under `strace -f -c`, its summary written to `out`. */
export function straceArgv(argv: string[], out: string): string[] {
  return ["strace", "-f", "-c", "-o", out, ...argv];
}

/** Parses an `strace -c` summary into calls by system call name. */
export function parseStraceSummary(path: string): Record<string, number> {
  const calls: Record<string, number> = {};
  if (!existsSync(path)) return calls;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    // % time  seconds  usecs/call  calls  [errors]  syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (m && m[2] !== "total") calls[m[2]!] = Number(m[1]);
  }
  return calls;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function anatomyMarkdown(a: GateAnatomy): string {
  const parts: string[] = [];
  if (a.jit.length) {
    const rows = a.jit.map((r) => {
      const jit = r.tiers.Baseline.ms + r.tiers.DFG.ms + r.tiers.FTL.ms;
      return [
        String(r.callers),
        fmt(r.calls),
        fmt(r.cpuMs),
        `${fmt(r.tiers.FTL.ms)} (${r.tiers.FTL.count})`,
        `${fmt(r.tiers.DFG.ms)} (${r.tiers.DFG.count})`,
        `${fmt(r.tiers.Baseline.ms)} (${r.tiers.Baseline.count})`,
        `${((jit / r.cpuMs) * 100).toFixed(0)}%`,
        fmt((jit * 1000) / r.calls),
      ];
    });
    parts.push(
      `JIT compilation over a gate's whole life (start-up, warm-up and the timed governs of one row of the TS-client table), from JavaScriptCore's own compile-time report; the compilations run on a JIT worker thread, so their CPU is the gate's. ms (compilations):

${
        markdownTable(
          [
            "callers",
            "governs",
            "gate CPU ms",
            "FTL ms",
            "DFG ms",
            "Baseline ms",
            "JIT share of the CPU",
            "JIT µs per govern",
          ],
          rows,
        )
      }
`,
    );
  } else if (a.jitSkipped) parts.push(`JIT compilation: skipped (${a.jitSkipped}).\n`);
  if (a.syscalls.length) {
    const names = [...new Set(a.syscalls.flatMap((s) => Object.keys(s.perCall)))]
      .map((n) => ({ n, max: Math.max(...a.syscalls.map((s) => s.perCall[n] ?? 0)) }))
      .filter((x) => x.max >= 0.5)
      .sort((x, y) => y.max - x.max)
      .map((x) => x.n);
    const rows = [
      ...names.map((n) => [`\`${n}\``, ...a.syscalls.map((s) => fmt(s.perCall[n] ?? 0))]),
      ["all", ...a.syscalls.map((s) => fmt(sum(s.perCall)))],
    ];
    parts.push(
      `System calls per sequential govern through the TS client, counted by \`strace -f -c\` (every thread of the process) in a gate that answered 200 governs and in one that answered ${
        fmt(a.syscalls[0]!.calls + 200)
      }: the difference ÷ ${
        fmt(a.syscalls[0]!.calls)
      }, so start-up and shut-down drop out (calls of at least 0.5 per govern; the TS client's pipes are socket pairs, hence recvfrom and sendto). The store is on tmpfs in both.

${markdownTable(["system call", ...a.syscalls.map((s) => s.gate)], rows)}
`,
    );
  } else if (a.syscallsSkipped) parts.push(`System calls: skipped (${a.syscallsSkipped}).\n`);
  return `## Gate: what a process spends besides the govern (JIT compilation, system calls)

${parts.join("\n")}`;
}
