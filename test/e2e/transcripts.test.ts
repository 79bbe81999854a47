/**
 * The protocol transcripts (test/vectors/protocol/*.ndjson) replayed against
 * the product as a subprocess: dist/warrant, or scripts/warrant-deno when
 * WARRANT_E2E_BIN names it (scripts/test does both). The same files drive the
 * in-process gate in test/protocol/transcripts.test.ts.
 */
import { afterAll, beforeAll, describe, test } from "bun:test";
import { spawn } from "node:child_process";
import { type GateDriver, LineQueue, loadTranscripts, replay } from "../protocol/transcript.ts";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { ensureBinary, makeWorkspace, PRODUCT, runCli, type Workspace } from "./harness.ts";

async function spawnedGate(ws: Workspace, stderr: string[]): Promise<GateDriver> {
  const bin = await ensureBinary();
  const child = spawn(bin, ["runtime", "gate", "--config", ws.configPath], {
    cwd: ws.dir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const q = new LineQueue();
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (s: string) => q.push(s));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => void stderr.push(s));
  child.stdin.on("error", () => {});
  const exit = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      q.close();
      resolve(code);
    })
  );
  return {
    send: (line) => void child.stdin.write(`${line}\n`),
    next: (ms) => q.next(ms),
    async end() {
      child.stdin.end();
      return await exit;
    },
  };
}

describe(`protocol transcripts against ${PRODUCT.split("/").slice(-2).join("/")}`, () => {
  for (const t of loadTranscripts()) {
    describe(t.name, () => {
      let ws: Workspace;
      beforeAll(async () => {
        ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
      });
      afterAll(() => ws.cleanup());
      test(t.about, async () => {
        const stderr: string[] = [];
        try {
          await replay(t, {
            gate: await spawnedGate(ws, stderr),
            cli: (args) => runCli([...args, "--config", ws.configPath], { cwd: ws.dir }),
            keys: ws.keys,
          });
        } catch (e) {
          throw new Error(`${(e as Error).message}\n  gate stderr:\n${stderr.join("")}`);
        }
      });
    });
  }
});
