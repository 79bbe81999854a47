/**
 * `warrant store copy` both ways between SQLite and the PostgreSQL test
 * server (compiled binary): an encrypted store with completed, denied and
 * approved-then-resumed actions is copied to a fresh schema, verifies there
 * with the same head and store id, opens with the same data key and keeps
 * growing its chain; copied back to a new file it verifies again. A target
 * that already has a history is refused; progress goes to stderr.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dropSchema, freshSchema } from "../store/postgres/pg-backend.ts";
import { makeWorkspace, runCli, type Workspace } from "./harness.ts";
import { pgE2eUrl } from "./pg-harness.ts";

const url = pgE2eUrl("store copy tests");
const pgTest = url ? test : test.skip;
const KEY = "22".repeat(32);

let ws: Workspace;
let schema: string;
let env: Record<string, string>;
beforeAll(async () => {
  if (!url) return;
  schema = freshSchema("copy");
  env = { WARRANT_DATABASE_URL: url, WARRANT_DATA_KEY: KEY, WARRANT_PROGRESS_MS: "0" };
  ws = await makeWorkspace({
    signed: true,
    keys: ["ops1"],
    policy: (k) => ({
      policy: "copy",
      version: 1,
      default: "deny",
      approvers: { ops1: { key: k.ops1!.publicKey, roles: ["ops"] } },
      rules: [
        { id: "notes", tool: "note", effect: "allow" },
        {
          id: "deploys",
          tool: "deploy",
          effect: "hold",
          approval: { quorum: 1, roles: ["ops"], timeout: "30m" },
        },
      ],
    }),
    config: {
      // Always SQLite here, whatever WARRANT_E2E_STORE says: this test moves it.
      store: {
        path: ".warrant/warrant.db",
        encryption_key_env: "WARRANT_DATA_KEY",
        postgres: undefined,
      },
      tools: {
        note: { command: ["/bin/echo", "noted {text}"] },
        shell: { command: ["/bin/echo", "never"] },
        deploy: { command: ["/bin/echo", "deployed {env}"] },
      },
    },
  });
}, 120_000);
afterAll(() => {
  ws?.cleanup();
  if (url && schema) dropSchema(url, schema);
});

const cli = (args: string[], config = ws.configPath) =>
  runCli([...args, "--config", config], { cwd: ws.dir, env });
const lastEvent = async (config: string) => {
  const r = await cli(["audit", "export"], config);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { seq: number; hash: string };
};

pgTest("SQLite → PostgreSQL → SQLite: chain intact, same head, same key, keeps going", async () => {
  for (const text of ["one", "two", "secret-4111"]) {
    expect((await cli(["exec", "note", "--args", JSON.stringify({ text })])).code).toBe(0);
  }
  expect((await cli(["exec", "shell", "--args", "{}"])).code).toBe(4); // denied
  const held = await cli(["exec", "deploy", "--args", '{"env":"prod"}', "--json"]);
  expect(held.code).toBe(5);
  const h = JSON.parse(held.stdout) as { action_id: string; request_id: string };
  expect((await cli(["approve", h.request_id, "--key", ws.keys.ops1!.path])).code).toBe(0);
  expect((await cli(["resume", h.action_id])).code).toBe(0);
  const head = await lastEvent(ws.configPath);

  const to = `postgres:WARRANT_DATABASE_URL/${schema}`;
  const copy = await cli(["store", "copy", "--from", ".warrant/warrant.db", "--to", to, "--json"]);
  expect({ code: copy.code, err: copy.stderr }).toMatchObject({ code: 0 });
  const report = JSON.parse(copy.stdout);
  expect(report).toMatchObject({ copied: true, head: { seq: head.seq, hash: head.hash } });
  expect(report.rows.actions).toBe(5);
  expect(copy.stderr).toMatch(/warrant: store copy: \d+ of \d+ rows/); // progress
  expect(copy.stderr + copy.stdout).not.toContain(url!);

  // The config switched to PostgreSQL: same store, same key, same chain.
  const pgConfig = join(ws.dir, "warrant-pg.json");
  const cfg = JSON.parse(await Bun.file(ws.configPath).text());
  cfg.store = { encryption_key_env: "WARRANT_DATA_KEY", postgres: { schema } };
  writeFileSync(pgConfig, JSON.stringify(cfg));
  const verify = await cli(["audit", "verify", "--json"], pgConfig);
  expect(verify.code).toBe(0);
  expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, checked: head.seq });
  const shown = await cli(["show", h.action_id, "--json"], pgConfig);
  expect(JSON.parse(shown.stdout).action).toMatchObject({
    state: "completed",
    args: { env: "prod" },
  });
  expect((await cli(["exec", "note", "--args", '{"text":"on pg"}'], pgConfig)).code).toBe(0);
  const grown = await lastEvent(pgConfig);
  expect(grown.seq).toBeGreaterThan(head.seq);

  // Into a store that has a history: refused, nothing written.
  const again = await cli(["store", "copy", "--from", ".warrant/warrant.db", "--to", to]);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain("already holds");
  expect((await lastEvent(pgConfig)).seq).toBe(grown.seq);

  // And back to a new SQLite file.
  const back = await cli(["store", "copy", "--from", to, "--to", "back.db", "--json"]);
  expect(back.code).toBe(0);
  expect(JSON.parse(back.stdout).head).toEqual({ seq: grown.seq, hash: grown.hash });
  const v2 = await runCli(["audit", "verify", "--store", join(ws.dir, "back.db"), "--json"], {
    cwd: ws.dir,
  });
  expect(v2.code).toBe(0);
  expect(JSON.parse(v2.stdout)).toMatchObject({ ok: true, checked: grown.seq });
}, 180_000);
