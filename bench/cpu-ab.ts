/**
 * Interleaved A/B of the gate's process CPU per govern: each binary in turn
 * (order alternating per round), a fresh store on tmpfs (/dev/shm, so
 * waiting for fdatasync is not counted and the disk adds no noise) or, with
 * --store DIR, in a folder of DIR (e.g. /tmp: the disk, whose syncs cost
 * system CPU: ~20 µs per govern at 32 callers here), 32 concurrent callers
 * of an allowed tool with a trivial body through the TS client; CPU is the
 * gate process's user + system time from /proc over the timed governs.
 * Prints one line per run and the median per binary. A gate's CPU per
 * govern keeps falling for its first ~20,000 governs (JIT compilation:
 * 92 µs after 20,000 against 103 after 5,000 here), so compare builds at
 * the same --warmup.
 *
 *   bun bench/cpu-ab.ts [--rounds 3] [--calls 4000] [--warmup 1000] [--store DIR] [--pin] BINARY...
 *
 * --pin: each gate on CPU 1 and this process on CPU 0 (bench/lib/proc.ts
 * pinCores; needs 2 CPUs and taskset): far less noise from round to round
 * than two processes sharing both cores, so smaller differences show.
 *
 * Meant for comparing builds of two commits on a busy machine: CPU time is
 * far less disturbed by other load than latency.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GateClient } from "../src/client/gate-client.ts";
import { cpuMsOf, pinCores } from "./lib/proc.ts";

const args = process.argv.slice(2);
let rounds = 3, calls = 4000, warmup = 1000, callers = 32, storeBase = "/dev/shm", pin = false;
const binaries: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === "--rounds") rounds = Number(args[++i]);
  else if (a === "--calls") calls = Number(args[++i]);
  else if (a === "--warmup") warmup = Number(args[++i]);
  else if (a === "--callers") callers = Number(args[++i]);
  else if (a === "--store") storeBase = resolve(args[++i] ?? "");
  else if (a === "--pin") pin = true;
  else binaries.push(resolve(a));
}
if (binaries.length === 0) {
  console.error(
    "usage: bun bench/cpu-ab.ts [--rounds N] [--calls N] [--warmup N] [--store DIR] [--pin] BINARY...",
  );
  process.exit(2);
}

function workspace(): { config: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "warrant-ab-"));
  const storeDir = mkdtempSync(join(storeBase, "warrant-ab-store-"));
  mkdirSync(join(dir, "policies"));
  writeFileSync(
    join(dir, "policies/bench.policy.json"),
    JSON.stringify({
      policy: "bench",
      version: 1,
      default: "deny",
      approvers: {},
      rules: [{ id: "echo", tool: "echo", effect: "allow" }],
    }),
  );
  const config = join(dir, "warrant.json");
  writeFileSync(
    config,
    JSON.stringify({
      project: "bench",
      store: { path: join(storeDir, "warrant.db"), synchronous: "full" },
      policy: { file: "policies/bench.policy.json", allow_unsigned: true },
    }),
  );
  return {
    config,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

async function drive(gate: GateClient, n: number): Promise<void> {
  let issued = 0;
  const worker = async () => {
    while (issued < n) {
      const k = issued++;
      const r = await gate.govern("echo", { n: k });
      if (r.phase !== "completed") throw new Error(`govern was ${r.phase}`);
    }
  };
  await Promise.all(Array.from({ length: callers }, worker));
}

async function once(binary: string): Promise<number> {
  const ws = workspace();
  const gate = await GateClient.spawn(
    [...prefix, binary, "runtime", "gate", "--config", ws.config],
    {
      stderr: process.env.AB_STDERR ? "inherit" : "pipe",
    },
  );
  try {
    await gate.registerTool("echo", ({ args }) => args);
    await drive(gate, warmup);
    const c0 = cpuMsOf(gate.pid);
    await drive(gate, calls);
    return ((cpuMsOf(gate.pid) - c0) * 1000) / calls;
  } finally {
    await gate.close();
    ws.cleanup();
  }
}

const pinned = pin ? pinCores() : null;
if (pin && !pinned) console.error("cpu-ab: --pin needs 2 CPUs and taskset; running unpinned");
const prefix = pinned?.prefix ?? [];
const results = new Map<string, number[]>(binaries.map((b) => [b, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? binaries : [...binaries].reverse();
  for (const b of order) {
    const us = await once(b);
    results.get(b)!.push(us);
    console.log(`round ${r + 1} ${b}: ${us.toFixed(0)} µs/govern`);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
for (const [b, xs] of results) {
  console.log(
    `${b}: median ${median(xs).toFixed(0)} µs/govern (${
      xs.map((x) => x.toFixed(0)).join(", ")
    }) over ${rounds} rounds of ${calls} governs at ${callers} callers${pinned ? ", pinned" : ""}`,
  );
}
