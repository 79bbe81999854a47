/**
 * The machine a benchmark ran on: CPU model, cores, memory, OS, Bun version,
 * date. `bun bench/lib/machine.ts` prints it as markdown (scripts/bench does
 * this first).
 */
import { readFileSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  bun: string;
  date: string;
  /** 1/5/15-minute load averages when measured (other work on the machine skews every number). */
  load?: number[];
}

/** Reads the CPU model from /proc/cpuinfo (Linux), else from os.cpus(). */
function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? "unknown";
}

/** Collects the machine description; `now` is injectable for tests. */
export function machineInfo(now: Date = new Date()): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    bun: process.versions.bun ?? "not bun",
    date: now.toISOString(),
    load: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The machine description as a markdown bullet list. */
export function formatMachineInfo(m: MachineInfo = machineInfo()): string {
  return [
    `- CPU: ${m.cpu} (${m.cores} cores)`,
    `- Memory: ${m.memoryGiB} GiB`,
    `- OS: ${m.os}`,
    `- Bun: ${m.bun}`,
    `- Date: ${m.date}`,
    ...(m.load
      ? [
        `- Load average (1/5/15 min) at the start: ${m.load.join(" / ")} on ${m.cores} cores${
          m.load[0]! > m.cores / 2 ? " — the machine was busy: absolute numbers are inflated" : ""
        }`,
      ]
      : []),
  ].join("\n");
}

if (import.meta.main) console.log(`## Machine\n\n${formatMachineInfo()}\n`);
