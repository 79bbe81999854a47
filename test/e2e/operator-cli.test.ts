/**
 * Operators' day one, CLI findings of issue 16, each as a user meets it:
 * config defaults for audit/serve, policy sign and verify agreeing with
 * check and the gate, suggestions for typos, clear errors (broken JSON,
 * a missing folder, a closed request, a token-protected endpoint), and the
 * human views (pending table, audit log, CSV export, ISO times, metrics).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli as runInProcess } from "../../src/cli/run.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";
import { e2ePolicy } from "./fixtures.ts";
import { E2E_PG_URL, ensureBinary, makeWorkspace, runCli, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";

let ws: Workspace;
let held: { request_id: string; action_id: string };

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: ["alice", "bob", "carol", "dave"],
    policy: (k) => e2ePolicy(k),
    config: { notify: { jsonl: ".warrant/events.jsonl" } },
  });
  const gate = await spawnGate(ws.configPath);
  await gate.registerTool("send_payment", () => ({ ok: true }));
  await gate.registerTool("deploy", () => ({ ok: true }));
  await gate.govern("send_payment", { amount: 5, to: "ACME" });
  const h = await gate.govern("send_payment", {
    amount: 250,
    to: "a very long payee name that goes on and on",
  });
  held = h as unknown as typeof held;
  await gate.close();
}, 120_000);

afterAll(() => ws.cleanup());

describe("config defaults", () => {
  test("audit verify and audit export use ./warrant.json, then $WARRANT_CONFIG", async () => {
    const here = await runCli(["audit", "verify"], { cwd: ws.dir });
    expect(here.stdout).toContain("audit log OK");
    expect(here.code).toBe(0);
    const viaEnv = await runCli(["audit", "export"], {
      cwd: "/",
      env: { WARRANT_CONFIG: ws.configPath },
    });
    expect(viaEnv.code).toBe(0);
    const first = JSON.parse(viaEnv.stdout.split("\n")[0]!);
    expect(first.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/); // ISO, as SSE and webhooks
    const none = await runCli(["audit", "verify"], { cwd: "/", env: { WARRANT_CONFIG: "" } });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("No warrant.json in / and $WARRANT_CONFIG is not set");
  });

  test("serve uses $WARRANT_CONFIG; its listening line has t and level; notify counters are counters", async () => {
    const bin = await ensureBinary();
    const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0"], {
      cwd: "/",
      env: { ...process.env, WARRANT_CONFIG: ws.configPath },
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let err = "";
        child.stderr.on("data", (c: Buffer) => {
          err += c.toString();
          const l = err.split("\n").find((x) => x.includes('"msg":"listening"'));
          if (l) resolve(l);
        });
        child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
      });
      const log = JSON.parse(line);
      expect(log).toMatchObject({ level: "info", msg: "listening" });
      expect(Date.parse(log.t)).toBeGreaterThan(0);
      const metrics = await (await fetch(`${log.url}/metrics`)).text();
      expect(metrics).toContain("# TYPE warrant_notify_delivered_events_total counter");
      expect(metrics).toContain("# TYPE warrant_notify_failed_events_total counter");
      expect(metrics).not.toContain(ws.dir); // no file path in any label
    } finally {
      child.kill("SIGTERM");
    }
  });
});

describe("policy sign and verify agree with check and the gate", () => {
  test("policy sign refuses what policy check rejects, and writes no .sig", async () => {
    const bad = join(ws.dir, "policies/bad.policy.json");
    const doc = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    doc.approvers.alice.key = "";
    writeFileSync(bad, JSON.stringify(doc));
    const check = await runCli(["policy", "check", bad]);
    expect(check.code).toBe(1);
    const sign = await runCli(["policy", "sign", bad, "--key", ws.keys.ops!.path]);
    expect(sign.code).toBe(1);
    expect(sign.stderr).toContain("Cannot sign");
    expect(sign.stderr).toContain("approvers.alice.key");
    expect(sign.stderr).toContain("warrant policy check");
    expect(existsSync(`${bad}.sig`)).toBe(false);
  });

  test("policy verify refuses a same-version re-sign as the gate would (policy_rollback)", async () => {
    const before = await runCli(["policy", "verify", ws.policyPath], { cwd: ws.dir });
    expect(before.code).toBe(0);
    expect(before.stdout).toContain("rollback checked against");
    const copy = join(ws.dir, "policies/same-version.policy.json");
    const doc = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    doc.description = "the same version, other bytes";
    writeFileSync(copy, JSON.stringify(doc, null, 2));
    expect((await runCli(["policy", "sign", copy, "--key", ws.keys.ops!.path])).code).toBe(0);
    const r = await runCli(["policy", "verify", copy, "--config", ws.configPath, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error.code).toBe("policy_rollback");
  });
});

describe("views for people", () => {
  const capture = (tty: boolean) => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        out: (l: string) => void out.push(l),
        err: (l: string) => void err.push(l),
        // The store's URL when the suite runs on PostgreSQL (WARRANT_E2E_STORE).
        env: E2E_PG_URL ? { WARRANT_DATABASE_URL: E2E_PG_URL } : {},
        cwd: ws.dir,
        stdoutIsTTY: tty,
        runtime: createRuntime(bunPlatform),
      },
    };
  };

  test("pending: an aligned table on a terminal, {items} JSON when piped or --json", async () => {
    const tty = capture(true);
    expect(await runInProcess(["pending"], tty.io)).toBe(0);
    expect(tty.out[0]).toMatch(/^REQUEST\s+STATE\s+TOOL\s+ARGS\s+APPROVALS\s+DEADLINE\s+ACTION$/);
    const row = tty.out.find((l) => l.includes("send_payment"))!;
    expect(row).toContain("0/2 finance");
    expect(row).toMatch(/\(in \d+m\)/);
    expect(row).toContain("…"); // long arguments are cut
    // Columns line up: every row starts its TOOL column where the header does.
    const col = tty.out[0]!.indexOf("TOOL");
    for (const l of tty.out.slice(1)) expect(l.slice(col, col + 5)).toMatch(/^(send_|deplo)/);
    expect(tty.out.slice(1).some((l) => l.startsWith(held.request_id))).toBe(true);

    const piped = capture(false);
    expect(await runInProcess(["pending"], piped.io)).toBe(0);
    const items = JSON.parse(piped.out.join("\n")).items as Array<{ request_id: string }>;
    expect(items.map((x) => x.request_id)).toContain(held.request_id);
    const json = capture(true);
    await runInProcess(["pending", "--json"], json.io);
    expect(Object.keys(JSON.parse(json.out.join("\n")))).toEqual(["items"]);
  });

  test("the binary knows its stdout is a terminal (script(1) gives it one)", async () => {
    if (spawnSync("sh", ["-c", "command -v script"]).status !== 0) {
      console.warn("SKIP pending on a real terminal: script(1) is not installed");
      return;
    }
    const bin = await ensureBinary();
    const r = spawnSync(
      "script",
      ["-qec", `${bin} pending --config ${ws.configPath}`, "/dev/null"],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/REQUEST\s+STATE\s+TOOL/);
    const piped = spawnSync(bin, ["pending", "--config", ws.configPath], { encoding: "utf8" });
    expect(JSON.parse(piped.stdout).items).toBeInstanceOf(Array);
  });

  test("audit log: one readable line per event, ISO times, filters", async () => {
    const all = capture(false);
    expect(await runInProcess(["audit", "log"], all.io)).toBe(0);
    expect(all.out[0]).toMatch(/^#1\s+\d{4}-\d{2}-\d{2}T[\d:.]+Z\s+policy\.accepted/);
    const actions = capture(false);
    await runInProcess(
      ["audit", "log", "--type", "action.*", "--action", held.action_id],
      actions.io,
    );
    expect(actions.out.length).toBeGreaterThan(1);
    for (const l of actions.out) {
      expect(l).toMatch(new RegExp(`action\\.\\S+\\s+${held.action_id}`));
    }
    expect(actions.out.join("\n")).toContain("action.held");
    const last = capture(false);
    await runInProcess(["audit", "log", "--last", "2"], last.io);
    expect(last.out.length).toBe(2);
  });

  test("audit export --format csv: a header and one row per event", async () => {
    const csv = capture(false);
    expect(await runInProcess(["audit", "export", "--format", "csv"], csv.io)).toBe(0);
    expect(csv.out[0]).toBe("seq,at,type,action_id,payload,prev_hash,hash");
    const jsonl = capture(false);
    await runInProcess(["audit", "export"], jsonl.io);
    expect(csv.out.length).toBe(jsonl.out.length + 1);
    expect(csv.out[1]).toMatch(/^1,\d{4}-\d{2}-\d{2}T[\d:.]+Z,policy\.accepted,,"\{""/);
  });
});

describe("mistakes get a precise answer", () => {
  test("a mistyped verb gets a suggestion", async () => {
    const r = await runCli(["aprove", "req_1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown verb "aprove" — did you mean "approve"?');
  });

  test("a mistyped config section is named, and broken JSON has a line and column", async () => {
    const typo = join(ws.dir, "typo.json");
    const cfg = JSON.parse(readFileSync(ws.configPath, "utf8"));
    cfg.polcy = cfg.policy;
    delete cfg.policy;
    writeFileSync(typo, JSON.stringify(cfg));
    const a = await runCli(["pending", "--config", typo]);
    expect(a.stderr).toContain('polcy: unknown field "polcy" (did you mean "policy"?)');
    const broken = join(ws.dir, "broken.json");
    writeFileSync(broken, '{\n  "project": "e2e",\n  "policy": {"file": "x"}\n  "store": {}\n}\n');
    const b = await runCli(["audit", "verify", "--config", broken]);
    expect(b.stderr).toMatch(/Invalid JSON at line 4, column \d+/);
  });

  test("keygen into a folder that does not exist names it (not internal_error)", async () => {
    const r = await runCli(["keygen", "--id", "x", "--out", join(ws.dir, "nope/x.key")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`the folder ${join(ws.dir, "nope")} does not exist`);
    expect(r.stderr).not.toContain("internal_error");
  });

  test("approving a closed request exits 4, as the README's table says", async () => {
    const approve = (who: string) =>
      runCli(["approve", held.request_id, "--key", ws.keys[who]!.path, "--config", ws.configPath]);
    const first = await approve("alice");
    expect(first.stdout).toContain("is now pending");
    expect(first.stdout).toContain("next: more approvals are needed");
    expect(first.stderr).toContain("Approving, as alice:");
    const ok = await approve("carol");
    if (ok.code !== 0) console.error(ok.stderr);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("is now approved");
    expect(ok.stdout).toContain("next: the agent runs it when its hook resumes action");
    const again = await approve("dave");
    expect(again.code).toBe(4);
    expect(again.stderr).toContain("request_closed");
  });

  test("approve --endpoint against a token-protected server says to set WARRANT_HTTP_TOKEN", async () => {
    const bin = await ensureBinary();
    const cfg = JSON.parse(readFileSync(ws.configPath, "utf8"));
    const tokenCfg = join(ws.dir, "token.json");
    writeFileSync(tokenCfg, JSON.stringify({ ...cfg, http: { token_env: "SERVE_TOKEN" } }));
    const served = spawn(bin, ["serve", "--config", tokenCfg, "--listen", "127.0.0.1:0"], {
      env: { ...process.env, SERVE_TOKEN: "s3cret-token-value" },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = "";
        served.stderr.on("data", (c: Buffer) => {
          err += c.toString();
          const m = /"msg":"listening","url":"([^"]+)"/.exec(err);
          if (m) resolve(m[1]!);
        });
        served.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
      });
      const r = await runCli(
        ["approve", "req_whatever", "--key", ws.keys.alice!.path, "--endpoint", url],
        { env: { WARRANT_HTTP_TOKEN: undefined } },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("requires a token (401); set WARRANT_HTTP_TOKEN");
      expect(r.stderr).not.toContain("internal_error");
      const help = await runCli(["approve", "--help"]);
      expect(help.stdout).toContain("WARRANT_HTTP_TOKEN");
    } finally {
      served.kill("SIGTERM");
    }
  });
});
