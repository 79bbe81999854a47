/**
 * The machine a benchmark ran on: CPU model, cores, memory, OS, Bun version,
 * date. `bun bench/lib/machine.ts` prints it as markdown (scripts/bench does
 * this first).
 */
import { readFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  bun: string;
  date: string;
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
  ].join("\n");
}

if (import.meta.main) console.log(`## Machine\n\n${formatMachineInfo()}\n`);
