/**
 * The protocol transcripts (test/vectors/protocol/*.ndjson) replayed
 * in-process: the runtime's gate (StdioGate over GateService over a real
 * SQLite store, wired by runtime/) on in-memory pipes, and the CLI verbs the
 * transcripts call run in-process too. No subprocess, no binary: this is the
 * gate's own unit-level conformance run. test/e2e/transcripts.test.ts replays
 * the same files against dist/warrant and scripts/warrant-deno.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GateStdio, Runtime } from "../../src/app/ports/runtime.ts";
import { runCli } from "../../src/cli/run.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";
import { APPROVERS, e2ePolicy } from "../e2e/fixtures.ts";
import { type CliResult, makeWorkspace, type Workspace } from "../e2e/harness.ts";
import { type GateDriver, LineQueue, loadTranscripts, replay } from "./transcript.ts";

const runtime: Runtime = createRuntime(bunPlatform);

async function cliInProcess(args: string[], opts: { cwd: string }): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (l) => void out.push(l),
    err: (l) => void err.push(l),
    env: { ...process.env },
    cwd: opts.cwd,
    runtime,
  });
  return { code, stdout: out.map((l) => `${l}\n`).join(""), stderr: err.join("\n") };
}

/** The runtime's gate on in-memory pipes. */
function gateInProcess(ws: Workspace, stderr: string[]): GateDriver {
  const q = new LineQueue();
  const pending: Uint8Array[] = [];
  let onData: ((chunk: Uint8Array) => void) | null = null;
  let onEnd: ((why: string) => void) | null = null;
  const stdio: GateStdio = {
    write: (line) => q.push(line),
    onData(listener) {
      onData = listener;
      for (const c of pending.splice(0)) listener(c);
    },
    onEnd: (listener) => void (onEnd = listener),
    pause() {},
  };
  const io = {
    out: (l: string) => void q.push(`${l}\n`),
    err: (l: string) => void stderr.push(l),
    env: { ...process.env },
    cwd: ws.dir,
  };
  const exit = runtime.gate(ws.configPath, undefined, io, stdio).finally(() => q.close());
  const enc = new TextEncoder();
  return {
    send(line) {
      const bytes = enc.encode(`${line}\n`);
      if (onData) onData(bytes);
      else pending.push(bytes);
    },
    next: (ms) => q.next(ms),
    async end() {
      onEnd?.("stdin closed");
      return await exit;
    },
  };
}

const transcripts = loadTranscripts();

test("there are transcripts to replay", () => {
  expect(transcripts.length).toBeGreaterThanOrEqual(6);
});

describe("protocol transcripts, in-process gate", () => {
  for (const t of transcripts) {
    describe(t.name, () => {
      let ws: Workspace;
      beforeAll(async () => {
        ws = await makeWorkspace(
          { signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) },
          cliInProcess,
        );
      });
      afterAll(() => ws.cleanup());
      test(t.about, async () => {
        const stderr: string[] = [];
        try {
          await replay(t, {
            gate: gateInProcess(ws, stderr),
            cli: (args) => cliInProcess([...args, "--config", ws.configPath], { cwd: ws.dir }),
            keys: ws.keys,
          });
        } catch (e) {
          throw new Error(`${(e as Error).message}\n  gate stderr:\n${stderr.join("\n")}`);
        }
      });
    });
  }
});
