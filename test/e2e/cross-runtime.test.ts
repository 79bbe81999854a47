/**
 * One store, two runtimes: a store written by the Bun binary is read and
 * verified by the product on Deno (node:sqlite), and the other way round,
 * including a held action approved by one runtime and resumed by the other.
 * Both products run in every pass of this file, whichever WARRANT_E2E_BIN says.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { GateClient } from "../../src/client/gate-client.ts";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { BINARY, ensureBinary, makeWorkspace, ROOT, type Workspace } from "./harness.ts";

const DENO_PRODUCT = join(ROOT, "scripts/warrant-deno");
const hasDeno = spawnSync(DENO_PRODUCT, ["--version"], { encoding: "utf8" }).status === 0;
if (!hasDeno) {
  console.warn("skip: cross-runtime.test.ts needs scripts/warrant-deno (deno not found)");
}

/** Run `bin ARGS --config CONFIG` and parse its --json stdout. */
function cli(bin: string, ws: Workspace, args: string[]) {
  const r = spawnSync(bin, [...args, "--config", ws.configPath], {
    cwd: ws.dir,
    encoding: "utf8",
    timeout: 90_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function gateOn(bin: string, ws: Workspace): Promise<GateClient> {
  return await GateClient.spawn([bin, "runtime", "gate", "--config", ws.configPath], {
    cwd: ws.dir,
  });
}

describe.skipIf(!hasDeno)("a store shared by the Bun binary and Deno", () => {
  let ws: Workspace;
  beforeAll(async () => {
    await ensureBinary();
    ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
  });
  afterAll(() => ws.cleanup());

  for (
    const [writer, reader] of [[BINARY, DENO_PRODUCT], [DENO_PRODUCT, BINARY]] as const
  ) {
    const name = (p: string) => (p === BINARY ? "bun" : "deno");
    test(`written by ${name(writer)}, held, approved and resumed by ${name(reader)}; both verify the chain`, async () => {
      const g1 = await gateOn(writer, ws);
      await g1.registerTool("echo", ({ args }) => ({ echoed: args }));
      await g1.registerTool("send_payment", () => ({ tx: "0x1" }));
      const allowed = await g1.govern("echo", { by: name(writer) });
      expect(allowed.phase).toBe("completed");
      const held = await g1.govern("send_payment", { amount: 300, to: name(writer) });
      expect(held.phase).toBe("pending_approval");
      if (held.phase !== "pending_approval") throw new Error("not held");
      await g1.close();

      // the other runtime reads what the first wrote
      const show = cli(reader, ws, ["show", held.request_id, "--json"]);
      expect(show.code).toBe(0);
      expect(show.stdout).toContain(held.action_id);
      for (const who of ["alice", "carol"]) {
        const ap = cli(reader, ws, ["approve", held.request_id, "--key", ws.keys[who]!.path]);
        expect({ code: ap.code, stderr: ap.stderr }).toMatchObject({ code: 0 });
      }
      const g2 = await gateOn(reader, ws);
      let ran = 0;
      await g2.registerTool("send_payment", () => {
        ran++;
        return { tx: `paid by ${name(reader)}` };
      });
      const done = await g2.resume(held.action_id, held.request_id, { waitMs: 5000 });
      expect(done).toMatchObject({ phase: "completed", output: { tx: `paid by ${name(reader)}` } });
      expect(ran).toBe(1);
      await g2.close();

      for (const bin of [writer, reader]) {
        const v = cli(bin, ws, ["audit", "verify", "--json"]);
        expect(v.code).toBe(0);
        expect(JSON.parse(v.stdout)).toMatchObject({ ok: true });
      }
    });
  }
});
