/**
 * Start-up: time from spawn to the `ready` line of `dist/warrant runtime gate`
 * with a signed 10-rule and a signed 10,000-rule policy, and for the 10-rule
 * one the same against the echo gate on an existing and a brand-new store (signed with
 * `warrant keygen` + `warrant policy sign` subprocesses; the config trusts
 * that key), median and p90 over --spawns (20) fresh processes each. Each
 * gate is stopped by closing its stdin after `ready` (not timed). The store
 * is created by the first spawn (untimed warm-up spawn per size).
 *
 *   bun bench/startup.ts [--binary dist/warrant] [--spawns 20]
 *   bun bench/startup.ts --versus OTHER_BINARY    # interleaved with another build (JSON)
 *
 * Writes bench/out/startup.json and prints a markdown table.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { warrantDocument } from "./engines/warrant.ts";
import { workload } from "./engines/workload.ts";
import { machineInfo } from "./lib/machine.ts";
import { fmt, markdownTable, percentile, ratio } from "./lib/stats.ts";
import { ECHO_BINARY, ensureEchoBinary, ensureFloorBinary, FLOOR_BINARY } from "./lib/echo.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] ?? fallback : fallback;
}
const ROOT = resolve(import.meta.dir, "..");
const BINARY = resolve(arg("binary", join(ROOT, "dist/warrant")));
const SPAWNS = Number(arg("spawns", "20"));
const SIZES = [10, 10_000];

/** Runs a CLI subprocess; returns stdout. @throws Error on a non-zero exit. */
function cli(args: string[], cwd: string): string {
  const r = Bun.spawnSync([BINARY, ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`warrant ${args.join(" ")} failed (${r.exitCode}): ${r.stderr.toString()}`);
  }
  return r.stdout.toString();
}

/** A workspace with a signed `rules`-rule policy and a config trusting its signer. */
function workspace(rules: number): { dir: string; config: string; bytes: number } {
  const dir = mkdtempSync(join(tmpdir(), `warrant-startup-${rules}-`));
  mkdirSync(join(dir, "policies"));
  const pub = /ed25519:[A-Za-z0-9+/=]+/.exec(
    cli(["keygen", "--id", "ops", "--out", "ops.key"], dir),
  )?.[0];
  if (!pub) throw new Error("warrant keygen printed no public key");
  const doc = { ...warrantDocument(workload(rules, 0).rules), policy: "startup" };
  const text = JSON.stringify(doc, null, 2);
  writeFileSync(join(dir, "policies/startup.policy.json"), text);
  cli(["policy", "sign", "policies/startup.policy.json", "--key", "ops.key"], dir);
  const config = join(dir, "warrant.json");
  writeFileSync(
    config,
    JSON.stringify({
      project: "startup",
      store: { path: ".warrant/warrant.db" },
      policy: { file: "policies/startup.policy.json" },
      trust: { policy_signers: [{ id: "ops", public_key: pub }], policy_threshold: 1 },
    }),
  );
  return { dir, config, bytes: text.length };
}

/** ms from spawn to the `ready` line; the gate is then closed (stdin EOF) and awaited. */
async function spawnToReady(
  config: string,
  binary = BINARY,
  env?: Record<string, string>,
  onStderr?: (text: string) => void,
): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn([binary, "runtime", "gate", "--config", config], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  const reader = p.stdout.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let ms = NaN;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    if (/"type"\s*:\s*"ready"/.test(buf)) {
      ms = performance.now() - t0;
      break;
    }
  }
  p.stdin.end();
  reader.releaseLock();
  await p.exited;
  if (onStderr) onStderr(await new Response(p.stderr).text());
  if (Number.isNaN(ms)) {
    throw new Error(
      `the gate exited (${p.exitCode}) before ready: ${await new Response(p.stderr).text()}`,
    );
  }
  return ms;
}

/** Spawn → ready of the 10-rule workspace: existing store, brand-new store, echo gate, floor gate. */
export interface StartupVsEcho {
  existing: { samples: number[]; median: number };
  newStore: { samples: number[]; median: number };
  echo: { samples: number[]; median: number };
  /**
   * bench/floor-gate.ts on the same config and an existing store of its own:
   * the least start any gate with warrant's promises can have here.
   */
  floor?: { samples: number[]; median: number };
  /** The floor gate on a store path never used before (its store created by that start). */
  floorNew?: { samples: number[]; median: number };
}

/**
 * The same signed 10-rule workspace: `spawns` starts on its existing store,
 * `spawns` starts each on a store path never used before (created, migrated
 * and keyed by that start), `spawns` starts of the echo gate (which reads
 * nothing) and `spawns` of the floor gate (which verifies the same signed
 * policy and commits its session row to a store of its own), interleaved so
 * drift on a shared machine falls on all four.
 */
async function versusEcho(ws: { dir: string; config: string }): Promise<StartupVsEcho> {
  const base = JSON.parse(readFileSync(ws.config, "utf8"));
  const fresh = Array.from({ length: SPAWNS }, (_, i) => {
    const p = join(ws.dir, `fresh-${i}.json`);
    writeFileSync(p, JSON.stringify({ ...base, store: { path: `.warrant/fresh-${i}.db` } }));
    return p;
  });
  await spawnToReady(ws.config);
  await spawnToReady(ws.config, ECHO_BINARY);
  await spawnToReady(ws.config, FLOOR_BINARY); // creates its store; not timed
  const existing: number[] = [], newStore: number[] = [], echo: number[] = [];
  const floor: number[] = [], floorNew: number[] = [];
  for (let i = 0; i < SPAWNS; i++) {
    existing.push(await spawnToReady(ws.config));
    newStore.push(await spawnToReady(fresh[i]!));
    echo.push(await spawnToReady(ws.config, ECHO_BINARY));
    floor.push(await spawnToReady(ws.config, FLOOR_BINARY));
    floorNew.push(await spawnToReady(fresh[i]!, FLOOR_BINARY));
  }
  const m = (xs: number[]) => ({
    samples: xs,
    median: percentile([...xs].sort((a, b) => a - b), 50),
  });
  return {
    existing: m(existing),
    newStore: m(newStore),
    echo: m(echo),
    floor: m(floor),
    floorNew: m(floorNew),
  };
}

/** The phases of a start (ms, medians), from the gate's debug line "gate ready". */
export type StartupPhases = Record<string, number>;

/**
 * `spawns` starts on the existing store with WARRANT_LOG=debug: the gate
 * logs where its start went (runtime/open.ts StartupTimes, after `ready`,
 * so the line costs the start nothing); the median of each phase.
 */
async function phases(config: string): Promise<StartupPhases> {
  const runs: Array<Record<string, number>> = [];
  for (let i = 0; i < SPAWNS; i++) {
    await spawnToReady(config, BINARY, { WARRANT_LOG: "debug" }, (text) => {
      const line = text.split("\n").find((l) => l.includes('"msg":"gate ready"'));
      if (!line) throw new Error(`the gate logged no "gate ready" line at debug level: ${text}`);
      const { t: _t, level: _l, msg: _m, ...times } = JSON.parse(line) as Record<string, number>;
      runs.push(times);
    });
  }
  return Object.fromEntries(
    Object.keys(runs[0]!).map((k) => {
      const xs = runs.map((r) => r[k]!).sort((a, b) => a - b);
      return [k, percentile(xs, 50)];
    }),
  );
}

export interface StartupResult {
  rules: number;
  policyBytes: number;
  samples: number[];
  median: number;
  p90: number;
  min: number;
  max: number;
}

/**
 * `--versus OTHER`: spawn → ready of this build and of OTHER (e.g. the
 * baseline's dist/warrant, bench/baseline.ts), alternating spawn by spawn
 * on one workspace per size made by this build's CLI, each binary on a
 * store of its own. Prints JSON { "<rules>": { now, other } } (medians, ms).
 * Taking turns spawn by spawn, both see the same machine; runs of the two
 * start-up benches minutes apart differed by more than the 10% the
 * no-regression check allows.
 */
async function versus(other: string): Promise<void> {
  const out: Record<string, { now: number; other: number }> = {};
  for (const rules of SIZES) {
    const ws = workspace(rules);
    try {
      const base = JSON.parse(readFileSync(ws.config, "utf8"));
      const otherConfig = join(ws.dir, "other.json");
      writeFileSync(otherConfig, JSON.stringify({ ...base, store: { path: ".warrant/other.db" } }));
      await spawnToReady(ws.config); // each creates its store; not timed
      await spawnToReady(otherConfig, other);
      const now: number[] = [], them: number[] = [];
      for (let i = 0; i < SPAWNS; i++) {
        if (i % 2) {
          them.push(await spawnToReady(otherConfig, other));
          now.push(await spawnToReady(ws.config));
        } else {
          now.push(await spawnToReady(ws.config));
          them.push(await spawnToReady(otherConfig, other));
        }
      }
      const m = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
      out[String(rules)] = { now: m(now), other: m(them) };
      console.error(
        `startup --versus: ${rules} rules: this build ${fmt(m(now))} ms, the other ${
          fmt(m(them))
        } ms`,
      );
    } finally {
      rmSync(ws.dir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(out));
}

async function main(): Promise<void> {
  ensureEchoBinary();
  ensureFloorBinary();
  const results: StartupResult[] = [];
  let vsEcho: StartupVsEcho | null = null;
  let startPhases: StartupPhases | null = null;
  for (const rules of SIZES) {
    const ws = workspace(rules);
    try {
      if (rules === 10) {
        vsEcho = await versusEcho(ws);
        startPhases = await phases(ws.config);
      }
      await spawnToReady(ws.config); // creates the store; not timed
      const samples: number[] = [];
      for (let i = 0; i < SPAWNS; i++) samples.push(await spawnToReady(ws.config));
      const s = [...samples].sort((a, b) => a - b);
      results.push({
        rules,
        policyBytes: ws.bytes,
        samples,
        median: percentile(s, 50),
        p90: percentile(s, 90),
        min: s[0]!,
        max: s[s.length - 1]!,
      });
      console.error(`startup: ${rules} rules: median ${fmt(percentile(s, 50))} ms`);
    } finally {
      rmSync(ws.dir, { recursive: true, force: true });
    }
  }
  mkdirSync(join(ROOT, "bench/out"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench/out/startup.json"),
    JSON.stringify(
      { machine: machineInfo(), binary: BINARY, spawns: SPAWNS, results, vsEcho, startPhases },
      null,
      2,
    ),
  );
  console.log(`## Start-up: spawn → ready (signed policy)

\`${
    BINARY.replace(`${ROOT}/`, "")
  } runtime gate\`, ${SPAWNS} spawns per size after one untimed spawn that creates the store; the policy is signed with \`warrant policy sign\` and verified at every start. Times in ms.

${
    markdownTable(
      ["rules", "policy KiB", "median ms", "p90 ms", "min ms", "max ms"],
      results.map((r) => [
        r.rules.toLocaleString("en-US"),
        fmt(r.policyBytes / 1024),
        fmt(r.median),
        fmt(r.p90),
        fmt(r.min),
        fmt(r.max),
      ]),
    )
  }
${vsEcho ? versusEchoMarkdown(vsEcho) : ""}${startPhases ? phasesMarkdown(startPhases) : ""}`);
}

/** What each phase is, for the table. */
const PHASE_NAMES: Record<string, string> = {
  before_open_ms: "process start → openRuntime (the runtime, the program's modules, argv)",
  config_ms: "config file read and validated",
  store_ms: "store opened (WAL, migrations check, data-key check, witness check)",
  policy_ms: "policy read, signature verified, parsed, compiled",
  session_ms: "dead sessions reconciled, this session's row committed",
  serve_ms: "gate assembled, timers, policy watch, `ready` written",
  ready_ms: "total, process start → `ready` (the process's own clock)",
};

function phasesMarkdown(p: StartupPhases): string {
  return `
### Where a start goes (existing store, signed 10-rule policy)

${SPAWNS} more starts with \`WARRANT_LOG=debug\`: the gate logs its phases after \`ready\` (\`gate ready\`, measured on its own clock from process start). Medians in ms.

${
    markdownTable(
      ["phase", "median ms"],
      Object.entries(p).map(([k, v]) => [PHASE_NAMES[k] ?? k, fmt(v)]),
    )
  }
`;
}

function versusEchoMarkdown(v: StartupVsEcho): string {
  const row = (name: string, x: { samples: number[]; median: number }, ratioTo: string) => {
    const s = [...x.samples].sort((a, b) => a - b);
    return [name, fmt(x.median), fmt(percentile(s, 90)), fmt(s[0]!), ratioTo];
  };
  return `
### Start-up vs the echo gate (signed 10-rule policy)

${SPAWNS} spawns each, interleaved (warrant on an existing and on a brand-new store, echo, the floor on both); the echo gate speaks the protocol and reads nothing; the floor gate (bench/floor-gate.ts) does the least any gate with warrant's promises must do before \`ready\` — reads the config and the policy, checks the policy's sha256 and verifies its Ed25519 signature (WebCrypto), opens a SQLite store (WAL) and commits its session row — and nothing else. Times in ms.

${
    markdownTable(["start", "median ms", "p90 ms", "min ms", "÷ echo (median)"], [
      row("warrant, existing store", v.existing, ratio(v.existing.median, v.echo.median)),
      row("warrant, brand-new store", v.newStore, ratio(v.newStore.median, v.echo.median)),
      row("echo gate", v.echo, ""),
      ...(v.floor
        ? [row("floor gate, existing store", v.floor, ratio(v.floor.median, v.echo.median))]
        : []),
      ...(v.floorNew
        ? [row("floor gate, brand-new store", v.floorNew, ratio(v.floorNew.median, v.echo.median))]
        : []),
    ])
  }
`;
}

if (import.meta.main) {
  const i = process.argv.indexOf("--versus");
  if (i > 0) await versus(resolve(process.argv[i + 1]!));
  else await main();
}
