/**
 * HTTP approval endpoint (loopback only, bounded in time and count): seeds
 * 10,000 open requests (quorum of 4) straight into a store, starts
 * `dist/warrant serve` on 127.0.0.1:0 and, from this separate load process
 * with every resolution signed before timing starts:
 *
 *  1. server CPU per accepted resolution: BENCH_SEQUENTIAL (400) POSTs one at
 *     a time, the serve process's CPU from /proc ÷ count (and the same for GETs);
 *     again after BENCH_WARM_POSTS (2,500) more (warm);
 *  2. POSTs from BENCH_POST_CLIENTS (50) concurrent approvers for
 *     BENCH_POST_SECONDS (6): p50/p99;
 *  3. GETs from BENCH_GET_CLIENTS (200) concurrent readers for
 *     BENCH_GET_SECONDS (5): p50/p99;
 *
 * then checks that every 201 is in the store; then 1–3 again, against the
 * floor (bench/floor-serve.ts: a bare Bun.serve that verifies each POST's
 * signature and commits it durably, and answers GETs with a fixed body),
 * which says whether an aim is reachable at all here. Writes
 * bench/out/http.json.
 *
 *   scripts/build && bun bench/http.ts
 *   bun bench/http.ts --binary /tmp/old-warrant     # another build
 *   bun bench/http.ts --profile                     # where the server's CPU goes
 *   BENCH_PROFILE_INTERVAL_US=100 bun bench/http.ts --profile   # finer samples (default 1000)
 */
import { spawn } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildResolution, resolutionSigningBytes } from "../src/core/approval/request.ts";
import { bunSqlite } from "../src/platform/bun.ts";
import { openStore } from "../src/store/sqlite-store.ts";
import { summarize } from "./lib/stats.ts";
import { cpuSplitMsOf } from "./lib/proc.ts";
import { summarizeProfile } from "./lib/profile.ts";
import type { ProfileSummary } from "./lib/profile.ts";

const POST_SECONDS = Number(process.env.BENCH_POST_SECONDS ?? 6);
const GET_SECONDS = Number(process.env.BENCH_GET_SECONDS ?? 5);
const POST_CLIENTS = Number(process.env.BENCH_POST_CLIENTS ?? 50);
const GET_CLIENTS = Number(process.env.BENCH_GET_CLIENTS ?? 200);
/** POSTs sent one at a time to measure server CPU per accepted resolution. */
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 400);
/** Bodies signed before timing (enough for the sequential and concurrent phases). */
// (20,000 ran out after ~4 s of the 6 s POST phase at ~4,500 POST/s: every
// slot of the seeded requests is now signed, enough for about 8,000 POST/s.)
const PRESIGNED = Number(process.env.BENCH_PRESIGNED ?? 40_000);
/** POSTs between the first (cold) and the second (warm) sequential measurement. */
const WARM_POSTS = Number(process.env.BENCH_WARM_POSTS ?? 2_500);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
/** Bodies signed for the floor server (enough for its sequential and concurrent phases). */
const FLOOR_BODIES = Number(process.env.BENCH_FLOOR_BODIES ?? 60_000);
const APPROVERS = ["a1", "a2", "a3", "a4"];
/** `--binary PATH`: the warrant binary to serve with (default dist/warrant), e.g. to compare two builds. */
const BIN = resolve(
  process.argv.includes("--binary")
    ? process.argv[process.argv.indexOf("--binary") + 1] ?? ""
    : resolve(import.meta.dir, "../dist/warrant"),
);

const seeds = Object.fromEntries(APPROVERS.map((n, i) => [n, new Uint8Array(32).fill(i + 11)]));
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const keys = Object.fromEntries(
  APPROVERS.map((n) => [
    n,
    createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519, seeds[n]!]),
      format: "der",
      type: "pkcs8",
    }),
  ]),
);
const publicKey = (n: string) => {
  const jwk = createPrivateKey({
    key: keys[n]!.export({ format: "der", type: "pkcs8" }),
    format: "der",
    type: "pkcs8",
  })
    .export({ format: "jwk" }) as { x: string };
  return `ed25519:${Buffer.from(jwk.x, "base64url").toString("base64")}`;
};

// ── workspace + seed ──
// (--profile: on tmpfs, see startServe)
const dir = mkdtempSync(
  join(
    process.argv.includes("--profile") && existsSync("/dev/shm") ? "/dev/shm" : tmpdir(),
    "warrant-bench-http-",
  ),
);
mkdirSync(join(dir, "policies"));
const policy = {
  policy: "bench-http",
  version: 1,
  default: "deny",
  approvers: Object.fromEntries(
    APPROVERS.map((n) => [n, { key: publicKey(n), roles: ["finance"] }]),
  ),
  rules: [{
    id: "pay",
    tool: "pay",
    effect: "hold",
    approval: { quorum: APPROVERS.length, roles: ["finance"], timeout: "2h" },
  }],
};
writeFileSync(join(dir, "policies/b.policy.json"), JSON.stringify(policy, null, 2));
writeFileSync(
  join(dir, "warrant.json"),
  JSON.stringify({
    project: "bench",
    store: { path: "w.db" },
    policy: { file: "policies/b.policy.json", allow_unsigned: true },
  }),
);
const now0 = Date.now();
const ids: Array<{ id: string; action_id: string; action_digest: string }> = [];
{
  const store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  const t0 = performance.now();
  store.tx((tx) => tx.openSession({ id: "ses_bench", project: "bench", pid: 1, at: now0 }));
  for (let start = 0; start < REQUESTS; start += 500) {
    store.tx((tx) => {
      for (let i = start; i < Math.min(REQUESTS, start + 500); i++) {
        const n = String(i).padStart(6, "0");
        const r = {
          id: `req_${n}`,
          action_id: `act_${n}`,
          action_digest: `sha256:${n.padStart(64, "0")}`,
        };
        tx.insertAction({
          id: r.action_id,
          session_id: "ses_bench",
          project: "bench",
          tool: "pay",
          args: { amount: i },
          origin: "hook",
          at: now0,
        });
        tx.transition(r.action_id, ["proposed"], "held", { effect: "hold", rules: ["pay"] }, now0);
        tx.insertRequest({
          id: r.id,
          action_id: r.action_id,
          requirements: [{
            rule: "pay",
            quorum: APPROVERS.length,
            roles: ["finance"],
            timeout_ms: 7_200_000,
          }],
          rules: ["pay"],
          policy_id: "bench-http",
          policy_version: 1,
          action_digest: r.action_digest,
          deadline: now0 + 7_200_000,
          at: now0,
        });
        ids.push(r);
      }
    });
  }
  store.close();
  console.error(`seeded ${REQUESTS} requests in ${(performance.now() - t0).toFixed(0)} ms`);
}

// ── server ──
/**
 * `--profile`: the server runs from the sources under `bun --cpu-prof` with
 * its store on tmpfs (the profiler samples wall time: a thread blocked in
 * fdatasync is not CPU), three times so each profile holds one kind of
 * load: sequential POSTs, POSTs from the concurrent approvers (at most 4 s),
 * sequential GETs.
 */
const PROFILE = process.argv.includes("--profile");
const profDir = PROFILE ? mkdtempSync(join(tmpdir(), "warrant-prof-http-")) : "";

async function startServe(profileTag?: string) {
  const spawnedAt = performance.now();
  const argv = profileTag
    ? [
      process.execPath,
      "--cpu-prof",
      `--cpu-prof-interval=${process.env.BENCH_PROFILE_INTERVAL_US ?? 1000}`,
      `--cpu-prof-dir=${join(profDir, profileTag)}`,
      resolve(import.meta.dir, "../src/main.bun.ts"),
    ]
    : [BIN];
  const proc = spawn(
    argv[0]!,
    [...argv.slice(1), "serve", "--config", join(dir, "warrant.json"), "--listen", "127.0.0.1:0"],
    {
      cwd: dir,
      env: { ...process.env, WARRANT_HTTP_RATE: "off", WARRANT_LOG: "warn" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve not ready: ${stderr}`)), 15_000);
    proc.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
      const m = /"msg":"listening","url":"([^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    proc.on("exit", (c) => fail(new Error(`serve exited ${c}: ${stderr}`)));
  });
  if (!/^http:\/\/127\.0\.0\.1:/.test(url)) throw new Error(`not loopback: ${url}`);
  return { proc, url, spawnedAt };
}
async function stopServe(proc: ReturnType<typeof spawn>): Promise<number | null> {
  proc.kill("SIGTERM");
  return await new Promise<number | null>((ok) =>
    proc.exitCode !== null ? ok(proc.exitCode) : proc.on("exit", (c) => ok(c))
  );
}
let { proc, url } = PROFILE ? { proc: null!, url: "" } : await startServe();
const skipMs: Record<string, number> = {};

// ── load ──
const slots = ids.flatMap((r) => APPROVERS.map((a) => ({ r, a })));
// Spread slots so concurrent posts rarely hit the same request.
let nextSlot = 0;
const takeSlot = () => {
  if (nextSlot >= slots.length) return null;
  const i = nextSlot++;
  const round = Math.floor(i / ids.length);
  const k = i % ids.length;
  return { r: ids[k]!, a: APPROVERS[round]! };
};
let nonceCounter = 0;
/** A signed resolution body for `slot` (default: the next free (request, approver) slot), signed now. */
function signedBody(
  slot: ReturnType<typeof takeSlot> = takeSlot(),
): { id: string; nonce: string; body: string } | null {
  if (!slot) return null;
  const nonce = new Uint8Array(16);
  new DataView(nonce.buffer).setUint32(0, ++nonceCounter);
  const t = Date.now();
  const doc = buildResolution({
    request: { id: slot.r.id, action_id: slot.r.action_id, action_digest: slot.r.action_digest },
    approver: slot.a,
    decision: "approve",
    issuedAt: t - 1000,
    expiresAt: t + 3_600_000,
    nonce,
  });
  const sig = sign(null, resolutionSigningBytes(doc), keys[slot.a]!).toString("base64");
  return { id: slot.r.id, nonce: doc.nonce, body: JSON.stringify({ ...doc, signature: sig }) };
}
// Every POST body is signed before any timing: the load process spends
// nothing on signatures while the server is measured.
const bodies = Array.from({ length: Math.min(PRESIGNED, slots.length) }, signedBody)
  .filter((b) => b !== null);
let nextBody = 0;
const errors: string[] = [];
const accepted: string[] = [];

/** Where a request's outcome goes: warrant's (checked against its store) or the floor server's. */
interface Sink {
  accepted: string[];
  errors: string[];
}
const warrantSink: Sink = { accepted, errors };

async function post(
  b: { id: string; nonce: string; body: string },
  base = url,
  sink = warrantSink,
): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/approvals/${b.id}/resolutions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: b.body,
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status === 201) sink.accepted.push(b.nonce);
  else sink.errors.push(`POST ${res.status} ${text.slice(0, 200)}`);
  return ms;
}

async function get(turn: number, ci: number, base = url, sink = warrantSink): Promise<number> {
  const r = ids[(turn * 7919 + ci) % ids.length]!;
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/approvals/${r.id}`);
  await res.arrayBuffer();
  if (res.status !== 200) sink.errors.push(`GET ${res.status}`);
  return performance.now() - t0;
}

/** CPU µs per request during a load phase: the server's (user, system) and this load process's. */
export interface LoadCpu {
  user: number;
  system: number;
  client: number;
}

/**
 * `clients` loops calling `op` for `seconds` (or until it returns null);
 * latencies in ms, and with `pid` the CPU per request of that server and of
 * this load process (the two share the machine's cores).
 */
async function load(
  clients: number,
  seconds: number,
  op: (turn: number, ci: number) => Promise<number> | null,
  pid?: number,
): Promise<{ lat: number[]; elapsed: number; cpu?: LoadCpu }> {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const server0 = pid === undefined ? null : cpuSplitMsOf(pid);
  const client0 = process.cpuUsage();
  await Promise.all(Array.from({ length: clients }, async (_, ci) => {
    for (let turn = 0; performance.now() < end; turn++) {
      const p = op(turn, ci);
      if (p === null) return;
      lat.push(await p);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  if (server0 === null || lat.length === 0) return { lat, elapsed };
  const server1 = cpuSplitMsOf(pid!);
  const client = process.cpuUsage(client0);
  const per = (ms: number) => (ms * 1000) / lat.length;
  return {
    lat,
    elapsed,
    cpu: {
      user: per(server1.user - server0.user),
      system: per(server1.system - server0.system),
      client: per((client.user + client.system) / 1000),
    },
  };
}

if (PROFILE) {
  let s = await startServe("post");
  ({ proc, url } = s);
  for (let i = 0; i < 50 && nextBody < bodies.length; i++) await post(bodies[nextBody++]!);
  skipMs.post = performance.now() - s.spawnedAt;
  const n = Math.min(SEQUENTIAL, bodies.length - nextBody);
  for (let i = 0; i < n; i++) await post(bodies[nextBody++]!);
  await stopServe(proc);
  // The closed loop of phase 2 (50 approvers), profiled on its own.
  s = await startServe("post-load");
  ({ proc, url } = s);
  for (let i = 0; i < 50 && nextBody < bodies.length; i++) await post(bodies[nextBody++]!);
  skipMs["post-load"] = performance.now() - s.spawnedAt;
  const loadSeconds = Math.min(POST_SECONDS, 4);
  const loaded = await load(POST_CLIENTS, loadSeconds, () => {
    const b = bodies[nextBody++];
    return b ? post(b) : null;
  });
  const perLoad = loaded.lat.length;
  await stopServe(proc);
  s = await startServe("get");
  ({ proc, url } = s);
  for (let i = 0; i < 50; i++) await get(i, 1);
  skipMs.get = performance.now() - s.spawnedAt;
  for (let i = 0; i < n; i++) await get(i, 0);
  await stopServe(proc);
  rmSync(dir, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`errors while profiling: ${errors[0]}`);
  const out: Record<string, ProfileSummary> = {};
  for (const tag of ["post", "post-load", "get"]) {
    const file = readdirSync(join(profDir, tag)).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error(`no profile written for ${tag}`);
    out[tag] = summarizeProfile(join(profDir, tag, file), 25, skipMs[tag]);
  }
  if (process.env.BENCH_KEEP_PROFILE) {
    console.error(`profiles kept in ${profDir} (skip ms: ${JSON.stringify(skipMs)})`);
  } else rmSync(profDir, { recursive: true, force: true });
  for (const [tag, p] of Object.entries(out)) {
    const count = tag === "post-load" ? perLoad : n;
    const per = (ms: number) => ((ms * 1000) / count).toFixed(1);
    console.log(
      tag === "post-load"
        ? `## HTTP endpoint profile: ${count} POSTs from ${POST_CLIENTS} concurrent approvers in ${loadSeconds} s (after start-up and 50 warm-up requests; store on tmpfs)\n`
        : `## HTTP endpoint profile: ${n} sequential ${tag.toUpperCase()}s (after start-up and 50 warm-up requests; store on tmpfs)\n`,
    );
    console.log(`Total ${p.totalMs.toFixed(0)} ms of samples, ${per(p.totalMs)} µs per request.\n`);
    console.log("| category | ms | share | µs/request |\n|---|---:|---:|---:|");
    for (const c of p.categories) {
      console.log(
        `| ${c.name} | ${c.ms.toFixed(1)} | ${(c.share * 100).toFixed(1)}% | ${per(c.ms)} |`,
      );
    }
    console.log("\n| function (self) | ms | share |\n|---|---:|---:|");
    for (const t of p.top) {
      console.log(`| ${t.fn} | ${t.ms.toFixed(1)} | ${(t.share * 100).toFixed(1)}% |`);
    }
    console.log("");
  }
  process.exit(0);
}

const pid = proc.pid!;
// 1. Server CPU per accepted resolution: POSTs one at a time (after a warm-up).
for (let i = 0; i < 50 && nextBody < bodies.length; i++) await post(bodies[nextBody++]!);
const seqN = Math.min(SEQUENTIAL, bodies.length - nextBody);
/** µs of the server's CPU per call of `op`, `n` times one at a time: total, user, system. */
async function cpuPer(n: number, op: (i: number) => Promise<unknown>) {
  const a = cpuSplitMsOf(pid);
  for (let i = 0; i < n; i++) await op(i);
  const b = cpuSplitMsOf(pid);
  const user = ((b.user - a.user) * 1000) / n;
  const system = ((b.system - a.system) * 1000) / n;
  return { total: user + system, user, system };
}
const postCpu = await cpuPer(seqN, () => post(bodies[nextBody++]!));
const cpuUsPerResolution = postCpu.total;
const getCpu = await cpuPer(seqN, (i) => get(i, 0));
const cpuUsPerGet = getCpu.total;
// The same once the server is warm (its hot paths compiled by the JIT): a
// long-running server spends most of its life there.
for (let i = 0; i < WARM_POSTS && nextBody < bodies.length - seqN; i++) {
  await post(bodies[nextBody++]!);
}
const warmPostCpu = await cpuPer(seqN, () => post(bodies[nextBody++]!));
// 2. POST at POST_CLIENTS concurrent approvers, pre-signed bodies.
const posts = await load(POST_CLIENTS, POST_SECONDS, () => {
  const b = bodies[nextBody];
  if (!b) return null;
  nextBody++;
  return post(b);
}, pid);
// 3. GET at GET_CLIENTS concurrent readers.
const gets = await load(GET_CLIENTS, GET_SECONDS, (turn, ci) => get(turn, ci), pid);
const elapsed = posts.elapsed + gets.elapsed;
const metrics = await (await fetch(`${url}/metrics`)).text();
const metric = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
const commitMs = 1000 * metric(/warrant_store_commit_seconds_sum\{op="resolution"\} (\S+)/) /
  metric(/warrant_store_commit_seconds_count\{op="resolution"\} (\S+)/);
const serverMs = (route: string) =>
  1000 *
  metric(
    new RegExp(
      `warrant_http_request_seconds_sum\\{route="${route}",method="\\w+",status="20\\d"\\} (\\S+)`,
    ),
  ) /
  metric(
    new RegExp(
      `warrant_http_request_seconds_count\\{route="${route}",method="\\w+",status="20\\d"\\} (\\S+)`,
    ),
  );
const code = await stopServe(proc);

// ── lost resolutions ──
const store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
let lost = 0;
for (const nonce of accepted) if (!store.nonceUsed(nonce)) lost++;
const approved = store.listRequests({ state: "approved", limit: 100_000 }).length;
store.close();
rmSync(dir, { recursive: true, force: true });

// ── the floor (bench/floor-serve.ts) ──
// The least an endpoint with warrant's promises must do per request, driven
// by the same client in the same ways: CPU per GET and per accepted POST one
// at a time, then the same two closed loops. Its store is on the same file
// system as warrant's.
const floorDir = mkdtempSync(join(tmpdir(), "warrant-bench-http-floor-"));
const floorSink: Sink = { accepted: [], errors: [] };
const floor = await (async () => {
  const srv = spawn(process.execPath, [
    resolve(import.meta.dir, "floor-serve.ts"),
    "--db",
    join(floorDir, "floor.db"),
    "--keys",
    JSON.stringify(Object.fromEntries(APPROVERS.map((n) => [n, publicKey(n)]))),
  ], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<string>((ok, fail) => {
      srv.stdout!.once("data", (c: Buffer) => ok(c.toString().trim()));
      srv.once("exit", (c) => fail(new Error(`floor-serve exited ${c}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const floorPid = srv.pid!;
    // Bodies of their own (the floor is faster than the seeded slots last),
    // for requests it never checks exist, signed before its timing starts.
    const floorBodies = Array.from({ length: FLOOR_BODIES }, (_, i) =>
      signedBody({
        r: {
          id: `req_f${i}`,
          action_id: `act_f${i}`,
          action_digest: `sha256:${String(i).padStart(64, "0")}`,
        },
        a: APPROVERS[i % APPROVERS.length]!,
      })!);
    let next = 0;
    const floorPost = () => post(floorBodies[next++]!, base, floorSink);
    for (let i = 0; i < 50; i++) await floorPost();
    for (let i = 0; i < 200; i++) await get(i, 0, base, floorSink);
    /** µs of the floor server's CPU per call of `op`, `n` times one at a time. */
    const cpu = async (n: number, op: (i: number) => Promise<unknown>) => {
      const a = cpuSplitMsOf(floorPid);
      for (let i = 0; i < n; i++) await op(i);
      const b = cpuSplitMsOf(floorPid);
      return ((b.user + b.system - a.user - a.system) * 1000) / n;
    };
    // Ten times as many GETs as the server's sequential phases: /proc counts
    // CPU in 10 ms ticks, and seqN bare GETs add up to about one tick.
    const cpuPerGet = await cpu(seqN * 10, (i) => get(i, 0, base, floorSink));
    const cpuPerPost = await cpu(seqN * 2, () => floorPost());
    const postLoad = await load(POST_CLIENTS, POST_SECONDS, () => {
      if (next >= floorBodies.length) return null;
      return floorPost();
    }, floorPid);
    const getLoad = await load(
      GET_CLIENTS,
      GET_SECONDS,
      (turn, ci) => get(turn, ci, base, floorSink),
      floorPid,
    );
    return { cpuPerGet, cpuPerPost, postLoad, getLoad };
  } finally {
    srv.kill();
    rmSync(floorDir, { recursive: true, force: true });
  }
})();
const floorCpuUsPerGet = floor.cpuPerGet;

const sum = (xs: number[]) => summarize(xs.length ? xs : [NaN]);
const row = (
  name: string,
  clients: number,
  phase: { lat: number[]; elapsed: number; cpu?: LoadCpu },
) => {
  const { lat: xs, elapsed: secs, cpu } = phase;
  const s = sum(xs);
  const cpuCells = cpu
    ? `${(cpu.user + cpu.system).toFixed(0)} (${cpu.user.toFixed(0)} + ${
      cpu.system.toFixed(0)
    }) | ${cpu.client.toFixed(0)}`
    : "– | –";
  return `| ${name} | ${clients} | ${xs.length} | ${(xs.length / secs).toFixed(0)} | ${
    ((clients * secs * 1000) / xs.length).toFixed(2)
  } | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.max.toFixed(2)} | ${cpuCells} |`;
};
/** One closed-loop phase: clients, requests, requests per second, p50, p99 and (newer runs) CPU per request. */
export interface HttpPhase {
  clients: number;
  n: number;
  perSec: number;
  p50: number;
  p99: number;
  cpu?: LoadCpu;
}
export interface HttpJson {
  cpuUsPerResolution: number;
  /** The same after WARM_POSTS more POSTs: the JIT has compiled the hot paths. */
  cpuUsPerResolutionWarm?: number;
  cpuUsPerGet: number;
  /** The floor server (bench/floor-serve.ts): CPU per GET (a fixed body), same client. */
  floorCpuUsPerGet?: number;
  /** The floor server: CPU per accepted POST (verify, one durable INSERT), one at a time. */
  floorCpuUsPerPost?: number;
  /** The floor server under the same closed loops. */
  floorPost?: HttpPhase;
  floorGet?: HttpPhase;
  /** The same split into user and system (kernel: loopback TCP, fdatasync) time. */
  cpuSplit?: { post: { user: number; system: number }; get: { user: number; system: number } };
  sequential: number;
  post: HttpPhase;
  get: HttpPhase;
  errors: number;
  lost: number;
}
/** One load phase's row: clients, requests, requests per second, p50, p99, CPU per request. */
function phaseJson(clients: number, phase: { lat: number[]; elapsed: number; cpu?: LoadCpu }) {
  const st = sum(phase.lat);
  return {
    clients,
    n: phase.lat.length,
    perSec: phase.lat.length / phase.elapsed,
    p50: st.p50,
    p99: st.p99,
    cpu: phase.cpu,
  };
}

const json: HttpJson = {
  cpuUsPerResolution,
  cpuUsPerResolutionWarm: warmPostCpu.total,
  cpuUsPerGet,
  floorCpuUsPerGet,
  floorCpuUsPerPost: floor.cpuPerPost,
  floorPost: phaseJson(POST_CLIENTS, floor.postLoad),
  floorGet: phaseJson(GET_CLIENTS, floor.getLoad),
  cpuSplit: {
    post: { user: postCpu.user, system: postCpu.system },
    get: { user: getCpu.user, system: getCpu.system },
  },
  sequential: seqN,
  post: phaseJson(POST_CLIENTS, posts),
  get: phaseJson(GET_CLIENTS, gets),
  errors: errors.length,
  lost,
};
mkdirSync(resolve(import.meta.dir, "out"), { recursive: true });
writeFileSync(resolve(import.meta.dir, "out/http.json"), JSON.stringify(json, null, 2));
console.log(
  `## HTTP approval endpoint (${REQUESTS} open requests, quorum of ${APPROVERS.length})\n`,
);
console.log(
  `\`dist/warrant serve\` on loopback, driven by this separate load process. Every POST body is a resolution signed (node:crypto) before timing starts. ` +
    `Server CPU (user + system of the serve process, from /proc): ${seqN} accepted resolutions POSTed one at a time → **${
      cpuUsPerResolution.toFixed(0)
    } µs per accepted resolution** (user ${postCpu.user.toFixed(0)} + system ${
      postCpu.system.toFixed(0)
    }; signature verification, strict checks, quorum, durable commit, reply); ` +
    `${seqN} GETs one at a time → ${cpuUsPerGet.toFixed(0)} µs per GET (user ${
      getCpu.user.toFixed(0)
    } + system ${getCpu.system.toFixed(0)}). After ${WARM_POSTS} more POSTs (warm): ${
      warmPostCpu.total.toFixed(0)
    } µs per accepted resolution (user ${warmPostCpu.user.toFixed(0)} + system ${
      warmPostCpu.system.toFixed(0)
    }). Then POSTs from ${POST_CLIENTS} concurrent approvers for ${POST_SECONDS} s, and GETs from ${GET_CLIENTS} concurrent readers for ${GET_SECONDS} s.\n`,
);
console.log(
  `The floor (bench/floor-serve.ts): a bare Bun.serve doing the least an approval endpoint with warrant's promises must do — a GET answers a fixed body of a request view's size; a POST parses the resolution, verifies its Ed25519 signature over the canonical signing bytes (node:crypto) and commits one SQLite row (WAL, synchronous=full, same file system, a replayed nonce refused) — and nothing else (no strict JSON, schema, quorum, audit chain or group commit), driven the same ways after warrant: ${
    floor.cpuPerPost.toFixed(0)
  } µs of CPU per accepted POST and ${floorCpuUsPerGet.toFixed(0)} µs per GET one at a time (over ${
    seqN * 10
  } GETs: /proc counts CPU in 10 ms ticks); the closed loops are the floor rows below.\n`,
);
console.log(
  `Load model: a closed loop. Each client sends its next request as soon as its previous answer arrives (no think time), so the clients always have N requests in flight and a request waits for the others ahead of it: by Little's law the mean latency is N ÷ throughput ("N ÷ req/s" below), whatever the server does per request. A p99 of 20 ms at 50 approvers therefore needs more than 2,500 POST/s, and 5 ms at 200 readers more than 40,000 GET/s, from one server process on this machine's cores (shared with this load process); an open-loop load (requests arriving at a fixed rate below capacity) would show queueing only near saturation.\n`,
);
console.log(
  "| op | clients | count | req/s | N ÷ req/s ms | p50 ms | p99 ms | max ms | server CPU µs/req (user + system) | load process CPU µs/req |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
);
console.log(row("POST …/resolutions (201)", POST_CLIENTS, posts));
console.log(row("GET /v1/approvals/:id", GET_CLIENTS, gets));
console.log(row("floor: POST (201)", POST_CLIENTS, floor.postLoad));
console.log(row("floor: GET", GET_CLIENTS, floor.getLoad));
console.log(
  `\nerrors: ${errors.length}${errors.length ? ` (first: ${errors[0]})` : ""} · ` +
    `lost resolutions: ${lost} of ${accepted.length} accepted · requests approved: ${approved} · ` +
    `serve exit: ${code} · ${elapsed.toFixed(1)} s of load`,
);
console.log(
  `server-side mean: GET ${serverMs("/v1/approvals/:id").toFixed(2)} ms · POST ${
    serverMs("/v1/approvals/:id/resolutions").toFixed(2)
  } ms (store tx ${commitMs.toFixed(2)} ms)`,
);
if (floorSink.errors.length > 0) {
  console.log(`floor errors: ${floorSink.errors.length} (first: ${floorSink.errors[0]})`);
}
if (errors.length > 0 || lost > 0 || code !== 0 || floorSink.errors.length > 0) process.exit(1);
