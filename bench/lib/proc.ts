/**
 * Process measurements for the benchmarks (Linux): CPU time of another
 * process from /proc, and the fdatasync floor of a file system — what one
 * durable commit costs at the least on the disk a store lives on.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";

/** ms of CPU (user + system) process `pid` has used so far; NaN when it cannot be read. */
export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields 14 and 15 of stat (utime, stime), in clock ticks of 10 ms
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/** ms of CPU process `pid` has used so far in user and in system (kernel) mode; NaN when unreadable. */
export function cpuSplitMsOf(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: NaN, system: NaN };
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { user: Number(f[11]) * 10, system: Number(f[12]) * 10 };
  } catch {
    return { user: NaN, system: NaN };
  }
}

/**
 * µs per fdatasync of a 4 KiB write, `n` times, in a file created in `dir`
 * (the store's folder, so its file system): write, then fdatasync, as a WAL
 * commit does. Returns the samples (µs).
 */
export function fdatasyncFloor(dir: string, n = 300): number[] {
  const path = join(dir, `fsync-floor-${process.pid}.bin`);
  const fd = openSync(path, "w");
  const page = new Uint8Array(4096).fill(7);
  const out: number[] = [];
  try {
    for (let i = 0; i < n + 20; i++) {
      writeSync(fd, page, 0, page.length, (i % 64) * 4096);
      const t0 = performance.now();
      fdatasyncSync(fd);
      if (i >= 20) out.push((performance.now() - t0) * 1000);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return out;
}

/**
 * The gate on one core and the load on another: `pinCores()` pins this
 * process (every thread) to CPU 0 and returns the argv prefix that starts
 * a child on CPU 1 (`taskset -c 1`), and `release()` gives this process
 * every CPU back. Null when the machine has fewer than 2 CPUs or no
 * `taskset` (util-linux). On this 2-core VM, rounds of one gate binary
 * sharing both cores with its load generator read 86–144 µs of CPU per
 * govern at 32 callers (tmpfs), and pinned mostly 80–92 µs: migrations and
 * the other process's cache traffic are charged to whichever process they
 * land on, and vary from round to round.
 */
export function pinCores(): { prefix: string[]; release(): void } | null {
  const cpus = availableParallelism();
  if (cpus < 2) return null;
  const pin = (list: string) =>
    spawnSync("taskset", ["-a", "-p", "-c", list, String(process.pid)], { stdio: "ignore" })
      .status === 0;
  if (!pin("0")) return null;
  return {
    prefix: ["taskset", "-c", "1"],
    release() {
      pin(`0-${cpus - 1}`);
    },
  };
}
