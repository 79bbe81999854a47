/**
 * Drives `dist/warrant serve` as a user would: a workspace whose policy holds
 * send_payment for two finance approvers (keys from the test seeds), held
 * actions made with `warrant exec`, and the server on 127.0.0.1:0.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { ensureBinary, makeWorkspace, runCli } from "../e2e/harness.ts";
import type { Workspace } from "../e2e/harness.ts";
import { publicKeyOf } from "./signer.ts";

export const TOKEN = "test-read-token-0123456789";

/** Hold send_payment > 100 for 2 finance approvers; allow reads. */
export function httpPolicy(): object {
  return {
    policy: "http-e2e",
    version: 1,
    default: "deny",
    approvers: {
      alice: { key: publicKeyOf("alice"), roles: ["finance"] },
      bob: { key: publicKeyOf("bob"), roles: ["ops"] },
      carol: { key: publicKeyOf("carol"), roles: ["finance"] },
    },
    rules: [
      { id: "reads", tool: ["search_*"], effect: "allow" },
      {
        id: "large-payments",
        tool: "send_payment",
        when: { amount: { gt: 100 } },
        effect: "hold",
        approval: { quorum: 2, roles: ["finance"], timeout: "30m" },
      },
    ],
  };
}

/** A workspace for the HTTP e2e suites (token on unless `token: false`). */
export function httpWorkspace(opts: { token?: boolean } = {}): Promise<Workspace> {
  return makeWorkspace({
    policy: httpPolicy(),
    config: {
      ...(opts.token === false ? {} : { http: { token_env: "WARRANT_HTTP_TOKEN" } }),
      tools: { send_payment: { command: ["/bin/echo", "paid {amount}"] } },
    },
  });
}

export interface Held {
  action_id: string;
  request_id: string;
}

/** Propose send_payment with `warrant exec` (exit 5: held); returns its ids. */
export async function holdPayment(ws: Workspace, amount = 250): Promise<Held> {
  const r = await runCli(
    [
      "exec",
      "send_payment",
      "--args",
      JSON.stringify({ amount }),
      "--config",
      ws.configPath,
      "--json",
    ],
    { cwd: ws.dir },
  );
  if (r.code !== 5) throw new Error(`exec exited ${r.code}: ${r.stderr}${r.stdout}`);
  const o = JSON.parse(r.stdout.trim().split("\n").pop()!) as Held;
  return { action_id: o.action_id, request_id: o.request_id };
}

export interface Served {
  url: string;
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `dist/warrant serve` on 127.0.0.1:0 and wait for the readiness line. */
export async function startServe(
  ws: Workspace,
  opts: { env?: Record<string, string>; args?: string[] } = {},
): Promise<Served> {
  const bin = await ensureBinary();
  const proc = spawn(
    bin,
    ["serve", "--config", ws.configPath, "--listen", "127.0.0.1:0", ...(opts.args ?? [])],
    {
      cwd: ws.dir,
      env: { ...process.env, WARRANT_HTTP_TOKEN: TOKEN, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let err = "";
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve not ready: ${err}`)), 15_000);
    proc.stderr!.on("data", (c: Buffer) => {
      err += c.toString("utf8");
      const m = /"msg":"listening","url":"([^"]+)"/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before ready: ${err}`));
    });
  });
  return {
    url,
    proc,
    stderr: () => err,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return await exited;
    },
  };
}

/** Read request headers for the token. */
export const auth = { authorization: `Bearer ${TOKEN}` };
