/**
 * Ordinary contention waits its turn: 60 concurrent `warrant resume`
 * processes on one store all succeed (each approved action runs exactly
 * once), and two concurrent `exec` calls with one idempotency key report
 * one action, run once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeWorkspace, runCli } from "./harness.ts";
import type { Workspace } from "./harness.ts";

let ws: Workspace;
beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: ["bob"],
    policy: (k) => ({
      policy: "contention",
      version: 1,
      default: "deny",
      approvers: { bob: { key: k.bob!.publicKey, roles: ["ops"] } },
      rules: [
        {
          id: "deploys",
          tool: "deploy",
          effect: "hold",
          approval: { quorum: 1, roles: ["ops"], timeout: "30m" },
        },
        { id: "notes", tool: "note", effect: "allow" },
      ],
    }),
    config: {
      tools: {
        deploy: { command: ["sh", "-c", 'echo "$0" >> runs.log', "{env}"] },
        note: { command: ["sh", "-c", 'sleep 0.3; echo "$0" >> notes.log', "{text}"] },
      },
    },
  });
});
afterAll(() => ws.cleanup());

const lines = (f: string) =>
  existsSync(join(ws.dir, f))
    ? readFileSync(join(ws.dir, f), "utf8").split("\n").filter((l) => l !== "")
    : [];
const cli = (...args: string[]) => runCli([...args, "--config", ws.configPath], { cwd: ws.dir });

test("60 concurrent resume processes: no failures, each action runs once", async () => {
  const actions: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await cli("exec", "deploy", "--args", JSON.stringify({ env: `e${i}` }), "--json");
    expect(r.code).toBe(5);
    const o = JSON.parse(r.stdout) as { action_id: string; request_id: string };
    expect((await cli("approve", o.request_id, "--key", ws.keys.bob!.path)).code).toBe(0);
    actions.push(o.action_id);
  }
  const runs = await Promise.all(
    actions.flatMap((a) =>
      [0, 1, 2].map(() =>
        runCli(["resume", a, "--json", "--config", ws.configPath], {
          cwd: ws.dir,
          timeoutMs: 120_000,
        })
      )
    ),
  );
  for (const r of runs) {
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout).phase).toBe("completed");
  }
  const log = lines("runs.log");
  expect(log.length).toBe(20);
  expect(new Set(log).size).toBe(20);
}, 180_000);

test(
  "two concurrent exec with one idempotency key: one action, run once, both answered",
  async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        cli("exec", "note", "--args", '{"text":"once"}', "--idempotency-key", "same-key", "--json")
      ),
    );
    expect({ code: a!.code, err: a!.stderr }).toEqual({ code: 0, err: "" });
    expect({ code: b!.code, err: b!.stderr }).toEqual({ code: 0, err: "" });
    const oa = JSON.parse(a!.stdout);
    const ob = JSON.parse(b!.stdout);
    expect(oa.action_id).toBe(ob.action_id);
    expect([oa.phase, ob.phase]).toEqual(["completed", "completed"]);
    expect(lines("notes.log")).toEqual(["once"]);
  },
  60_000,
);
