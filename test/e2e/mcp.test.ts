/**
 * `warrant mcp` end to end: the compiled binary between the official SDK
 * Client (the agent) and real MCP servers from npm (the reference
 * "filesystem" and "everything" servers). Allowed calls reach the upstream,
 * denied ones never do (the file is untouched), a held call runs once after
 * `warrant approve`, a passed deadline rejects, a killed upstream is
 * recorded — and `audit verify` passes after each.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary, makeWorkspace, runCli } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import {
  childrenOf,
  connectThroughWarrant,
  eventually,
  everythingServer,
  filesystemServer,
  spawnListening,
  textOf,
} from "./mcp-harness.ts";
import type { WarrantAgent } from "./mcp-harness.ts";

let ws: Workspace;
let data: string;
let agent: WarrantAgent;

// Encryption at rest is on: arguments, outputs and the digests a repeated call is matched by are keyed.
const DATA_KEY = "07".repeat(32);
const ENV = { WARRANT_DATA_KEY: DATA_KEY };
const cli = (...args: string[]) =>
  runCli([...args, "--config", ws.configPath], { cwd: ws.dir, env: ENV });

async function auditVerifies(): Promise<void> {
  const r = await cli("audit", "verify");
  expect(r.stderr + r.stdout).not.toContain("FAIL");
  expect(r.code).toBe(0);
}

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: ["alice"],
    policy: (k) => ({
      policy: "mcp-e2e",
      version: 1,
      default: "deny",
      approvers: { alice: { key: k.alice!.publicKey, roles: ["ops"] } },
      rules: [
        {
          id: "reads",
          tool: ["fs.read_*", "fs.list_*", "fs.get_file_info", "fs.trigger-long-running-operation"],
          effect: "allow",
        },
        {
          id: "no-protected",
          tool: "fs.write_file",
          when: { path: { suffix: "protected.txt" } },
          effect: "deny",
          reason: "protected.txt is read-only",
        },
        {
          id: "writes-held",
          tool: "fs.write_file",
          effect: "hold",
          approval: { quorum: 1, roles: ["ops"], timeout: "30m" },
        },
        {
          id: "dirs-held",
          tool: "fs.create_directory",
          effect: "hold",
          approval: { quorum: 1, roles: ["ops"], timeout: "30m" },
        },
        {
          id: "edits-short",
          tool: "fs.edit_file",
          effect: "hold",
          approval: { quorum: 1, roles: ["ops"], timeout: "2s" },
        },
      ],
    }),
    config: {
      mcp: { tool_prefix: "fs." },
      store: { path: ".warrant/warrant.db", encryption_key_env: "WARRANT_DATA_KEY" },
    },
  });
  data = join(ws.dir, "data");
  mkdirSync(data);
  writeFileSync(join(data, "protected.txt"), "original\n");
  writeFileSync(join(data, "readme.txt"), "hello from the filesystem server\n");
  agent = await connectThroughWarrant(ws.configPath, filesystemServer(data), { env: ENV });
}, 60_000);

afterAll(async () => {
  await agent?.close();
  ws?.cleanup();
});

describe("warrant mcp over the filesystem server", () => {
  test("lists the upstream's tools unchanged", async () => {
    const { tools } = await agent.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain("read_text_file");
    expect(names).toContain("write_file");
    expect(names).toContain("edit_file");
  });

  test("an allowed call returns the upstream's result", async () => {
    const r = await agent.client.callTool({
      name: "read_text_file",
      arguments: { path: join(data, "readme.txt") },
    });
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toBe("hello from the filesystem server\n");
    await auditVerifies();
  });

  test("a denied call is refused and never reaches the upstream", async () => {
    const file = join(data, "protected.txt");
    const before = statSync(file).mtimeMs;
    const r = await agent.client.callTool({
      name: "write_file",
      arguments: { path: file, content: "overwritten" },
    });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain("policy_denied");
    expect(textOf(r)).toContain("protected.txt is read-only");
    expect(readFileSync(file, "utf8")).toBe("original\n");
    expect(statSync(file).mtimeMs).toBe(before);
    await auditVerifies();
  });

  test("a held call → warrant approve → the repeated call runs once", async () => {
    const file = join(data, "notes.txt");
    const call = () =>
      agent.client.callTool({ name: "write_file", arguments: { path: file, content: "v1" } });
    const held = await call();
    expect(held.isError).toBe(true);
    const text = textOf(held);
    const requestId = /req_[0-9a-z]+/.exec(text)?.[0];
    expect(requestId).toBeDefined();
    expect(text).toContain("writes-held");
    expect(text).toMatch(/Deadline \d{4}-\d\d-\d\dT/);
    expect(text).toContain(`warrant approve ${requestId}`);
    expect(existsSync(file)).toBe(false);

    // Repeating before the approval answers the same hold and runs nothing.
    const again = await call();
    expect(textOf(again)).toContain(requestId!);
    expect(existsSync(file)).toBe(false);

    const ok = await cli("approve", requestId!, "--key", ws.keys.alice!.path);
    expect(ok.code).toBe(0);

    const ran = await call();
    expect(ran.isError).toBeFalsy();
    expect(textOf(ran)).toContain("Successfully wrote");
    expect(readFileSync(file, "utf8")).toBe("v1");

    // A repeat answers the recorded result and does not run again.
    writeFileSync(file, "changed locally");
    const repeat = await call();
    expect(repeat).toEqual(ran);
    expect(readFileSync(file, "utf8")).toBe("changed locally");

    const show = await cli("show", requestId!, "--json");
    const shown = JSON.parse(show.stdout) as {
      action: { state: string; via: string };
      history: Array<{ type: string }>;
    };
    expect(shown.action.state).toBe("completed");
    expect(shown.action.via).toContain("mcp stdio:");
    expect(shown.action.via).toContain("server-filesystem");
    expect(shown.history.filter((e) => e.type === "action.executing")).toHaveLength(1);
    const human = await cli("show", requestId!);
    expect(human.stdout).toContain("via      MCP proxy, upstream stdio:");
    await auditVerifies();
  });

  test("a deadline passes → the repeated call is rejected and never runs", async () => {
    const file = join(data, "readme.txt");
    const call = () =>
      agent.client.callTool({
        name: "edit_file",
        arguments: { path: file, edits: [{ oldText: "hello", newText: "HELLO" }] },
      });
    const held = await call();
    expect(textOf(held)).toContain("edits-short");
    await new Promise((r) => setTimeout(r, 2300));
    const late = await call();
    expect(late.isError).toBe(true);
    expect(textOf(late)).toContain("approval_timeout");
    expect(readFileSync(file, "utf8")).toBe("hello from the filesystem server\n");
    await auditVerifies();
  });
});

describe("holds across sessions, denials and warrant resume", () => {
  const heldRequest = (r: unknown) => /req_[0-9a-z]+/.exec(textOf(r))![0];

  test(
    "held in one session, approved, repeated from a later warrant mcp process: runs once",
    async () => {
      const file = join(data, "later.txt");
      const args = { path: file, content: "from a later session" };
      const first = await connectThroughWarrant(ws.configPath, filesystemServer(data), {
        env: ENV,
      });
      const held = await first.client.callTool({ name: "write_file", arguments: args });
      await first.close();
      expect(await first.exited).toBe(0);
      const requestId = heldRequest(held);
      expect((await cli("approve", requestId, "--key", ws.keys.alice!.path)).code).toBe(0);
      const later = await connectThroughWarrant(ws.configPath, filesystemServer(data), {
        env: ENV,
      });
      try {
        const ran = await later.client.callTool({ name: "write_file", arguments: args });
        expect(ran.isError).toBeFalsy();
        expect(readFileSync(file, "utf8")).toBe("from a later session");
        writeFileSync(file, "untouched since");
        expect(await later.client.callTool({ name: "write_file", arguments: args })).toEqual(ran);
        expect(readFileSync(file, "utf8")).toBe("untouched since");
      } finally {
        await later.close();
      }
      await auditVerifies();
    },
    60_000,
  );

  test("held then denied: the repeated call answers the denial and nothing runs", async () => {
    const dir = join(data, "denied-dir");
    const call = () =>
      agent.client.callTool({ name: "create_directory", arguments: { path: dir } });
    const requestId = heldRequest(await call());
    const no = await cli("deny", requestId, "--key", ws.keys.alice!.path, "--reason", "not today");
    expect(no.code).toBe(0);
    const r = await call();
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain("approval_denied");
    expect(existsSync(dir)).toBe(false);
    await auditVerifies();
  });

  test("warrant resume runs an approved MCP action through the live proxy, once", async () => {
    const dir = join(data, "resumed-dir");
    const call = () =>
      agent.client.callTool({ name: "create_directory", arguments: { path: dir } });
    const held = await call();
    const actionId = /act_[0-9a-z]+/.exec(textOf(held))![0];
    expect((await cli("approve", heldRequest(held), "--key", ws.keys.alice!.path)).code).toBe(0);
    const resumed = await cli("resume", actionId, "--json");
    expect(resumed.code).toBe(0);
    expect(existsSync(dir)).toBe(true);
    // The agent's repeat gets the recorded result; the upstream is not called again.
    const repeat = await call();
    expect(repeat.isError).toBeFalsy();
    expect(textOf(repeat)).toContain("Successfully created directory");
    const show = JSON.parse((await cli("show", actionId, "--json")).stdout) as {
      history: Array<{ type: string }>;
    };
    expect(show.history.filter((e) => e.type === "action.executing")).toHaveLength(1);
    await auditVerifies();
  });
});

describe("warrant serve on MCP actions", () => {
  test("pending lists an MCP hold and GET /v1/actions shows the face it came through", async () => {
    const file = join(data, "served.txt");
    const held = await agent.client.callTool({
      name: "write_file",
      arguments: { path: file, content: "x" },
    });
    const actionId = /act_[0-9a-z]+/.exec(textOf(held))![0];
    const requestId = /req_[0-9a-z]+/.exec(textOf(held))![0];
    expect((await cli("pending", "--json")).stdout).toContain(requestId);
    const bin = await ensureBinary();
    const serve = await spawnListening(
      [bin, "serve", "--config", ws.configPath, "--listen", "127.0.0.1:0"],
      /"msg":"listening","url":"([^"]+)"/,
      { cwd: ws.dir, env: ENV },
    );
    try {
      const r = await fetch(`${serve.url}/v1/actions/${actionId}`);
      expect(r.status).toBe(200);
      const view = (await r.json()) as { state: string; via: string; tool: string };
      expect(view.state).toBe("held");
      expect(view.tool).toBe("fs.write_file");
      expect(view.via).toContain("mcp stdio:");
      expect(view.via).toContain("server-filesystem");
    } finally {
      await serve.stop();
    }
  }, 60_000);
});

describe("warrant mcp when the upstream dies", () => {
  test(
    "killed mid-call: the call answers an error, the action is recorded unknown, warrant exits 1",
    async () => {
      const dying = await connectThroughWarrant(ws.configPath, everythingServer(), { env: ENV });
      const upstreamPids = await eventually(() => {
        const c = childrenOf(dying.pid);
        return c.length > 0 ? c : null;
      }, "the upstream child");
      const pending = dying.client.callTool(
        {
          name: "trigger-long-running-operation",
          arguments: { duration: 30, steps: 30 },
        },
        undefined,
        { timeout: 60_000 },
      );
      await new Promise((r) => setTimeout(r, 1500));
      for (const pid of upstreamPids ?? []) process.kill(pid, "SIGKILL");
      const r = await pending;
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain("outcome_unknown");
      const actionId = /act_[0-9a-z]+/.exec(textOf(r))![0];
      expect(await dying.exited).toBe(1);
      const show = await cli("show", actionId, "--json");
      const shown = JSON.parse(show.stdout) as { action: { state: string; via: string } };
      expect(shown.action.state).toBe("unknown");
      expect(shown.action.via).toContain("server-everything");
      await auditVerifies();
    },
    60_000,
  );
});
