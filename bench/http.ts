/**
 * HTTP approval endpoint under load (loopback only, bounded in time and
 * count): seeds 10,000 open requests straight into a store, starts
 * `dist/warrant serve` on 127.0.0.1:0, runs 200 concurrent keep-alive
 * clients reading (GET /v1/approvals/:id) and posting signed resolutions for
 * BENCH_SECONDS (default 20), then checks that every 201 is in the store.
 *
 *   scripts/build && bun bench/http.ts            # BENCH_SECONDS=5 for a quick run
 */
import { spawn } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildResolution, resolutionSigningBytes } from "../src/core/approval/request.ts";
import { bunSqlite } from "../src/platform/bun.ts";
import { openStore } from "../src/store/sqlite-store.ts";
import { formatMachineInfo } from "./lib/machine.ts";
import { summarize } from "./lib/stats.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
const APPROVERS = ["a1", "a2", "a3", "a4"];
const BIN = resolve(import.meta.dir, "../dist/warrant");

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
const dir = mkdtempSync(join(tmpdir(), "warrant-bench-http-"));
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
const proc = spawn(
  BIN,
  ["serve", "--config", join(dir, "warrant.json"), "--listen", "127.0.0.1:0"],
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
const lat = { GET: [] as number[], POST: [] as number[] };
const errors: string[] = [];
const accepted: Array<{ request: string; nonce: string }> = [];
const deadline = performance.now() + SECONDS * 1000;
let nonceCounter = 0;

async function client(ci: number): Promise<void> {
  let turn = ci;
  while (performance.now() < deadline) {
    turn++;
    const slot = turn % 2 === 0 ? takeSlot() : null;
    const t0 = performance.now();
    if (slot) {
      const nonce = new Uint8Array(16);
      new DataView(nonce.buffer).setUint32(0, ++nonceCounter);
      nonce[15] = ci & 0xff;
      const t = Date.now();
      const doc = buildResolution({
        request: {
          id: slot.r.id,
          action_id: slot.r.action_id,
          action_digest: slot.r.action_digest,
        },
        approver: slot.a,
        decision: "approve",
        issuedAt: t - 1000,
        expiresAt: t + 600_000,
        nonce,
      });
      const sig = sign(null, resolutionSigningBytes(doc), keys[slot.a]!).toString("base64");
      const res = await fetch(`${url}/v1/approvals/${slot.r.id}/resolutions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...doc, signature: sig }),
      });
      const text = await res.text();
      lat.POST.push(performance.now() - t0);
      if (res.status === 201) accepted.push({ request: slot.r.id, nonce: doc.nonce });
      else errors.push(`POST ${res.status} ${text.slice(0, 200)}`);
    } else {
      const r = ids[(turn * 7919 + ci) % ids.length]!;
      const res = await fetch(`${url}/v1/approvals/${r.id}`);
      await res.arrayBuffer();
      lat.GET.push(performance.now() - t0);
      if (res.status !== 200) errors.push(`GET ${res.status}`);
    }
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
const elapsed = (performance.now() - started) / 1000;
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
proc.kill("SIGTERM");
const code = await new Promise<number | null>((ok) =>
  proc.exitCode !== null ? ok(proc.exitCode) : proc.on("exit", (c) => ok(c))
);

// ── lost resolutions ──
const store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
let lost = 0;
for (const a of accepted) if (!store.nonceUsed(a.nonce)) lost++;
const approved = store.listRequests({ state: "approved", limit: 100_000 }).length;
store.close();
rmSync(dir, { recursive: true, force: true });

const row = (name: string, xs: number[]) => {
  const s = summarize(xs.length ? xs : [NaN]);
  return `| ${name} | ${xs.length} | ${(xs.length / elapsed).toFixed(0)} | ${s.p50.toFixed(2)} | ${
    s.p99.toFixed(2)
  } | ${s.max.toFixed(2)} |`;
};
console.log(`## HTTP endpoint: ${CLIENTS} clients, ${SECONDS}s, ${REQUESTS} open requests\n`);
console.log(formatMachineInfo());
console.log("\n| op | count | req/s | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|");
console.log(row("GET /v1/approvals/:id", lat.GET));
console.log(row("POST …/resolutions (201)", lat.POST));
console.log(
  `\nerrors: ${errors.length}${errors.length ? ` (first: ${errors[0]})` : ""} · ` +
    `lost resolutions: ${lost} of ${accepted.length} accepted · requests approved: ${approved} · ` +
    `serve exit: ${code}`,
);
console.log(
  `server-side mean: GET ${serverMs("/v1/approvals/:id").toFixed(2)} ms · POST ${
    serverMs("/v1/approvals/:id/resolutions").toFixed(2)
  } ms (store tx ${commitMs.toFixed(2)} ms)`,
);
if (errors.length > 0 || lost > 0 || code !== 0) process.exit(1);
