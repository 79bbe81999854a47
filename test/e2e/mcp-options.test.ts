/**
 * `warrant mcp` as users configure it: a desktop agent's `mcpServers` JSON
 * pointed at warrant unchanged; `mcp.hold_wait_ms` (a held call waits, with
 * progress notifications, and runs within the same call once approved);
 * `mcp.hide_denied`; and the --listen face's bearer token and Origin/Host
 * checks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { E2E_PG_URL, ensureBinary, makeWorkspace, runCli } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import {
  connectHttp,
  connectThroughWarrant,
  eventually,
  everythingServer,
  filesystemServer,
  textOf,
  warrantListening,
} from "./mcp-harness.ts";

let ws: Workspace;
let data: string;

const policy = (k: Record<string, { publicKey: string }>) => ({
  policy: "mcp-options",
  version: 1,
  default: "deny",
  approvers: { alice: { key: k.alice!.publicKey, roles: ["ops"] } },
  rules: [
    { id: "reads", tool: ["read_*", "list_*", "echo", "get-sum"], effect: "allow" },
    {
      id: "writes-held",
      tool: "write_file",
      effect: "hold",
      approval: { quorum: 1, roles: ["ops"], timeout: "30m" },
    },
    { id: "never-move", tool: "move_file", effect: "deny", reason: "moves are not allowed" },
  ],
});

beforeAll(async () => {
  ws = await makeWorkspace({
    signed: true,
    keys: ["alice"],
    policy,
    config: {
      mcp: { hold_wait_ms: 20_000, hide_denied: true },
      http: { token_env: "MCP_TEST_TOKEN" },
    },
  });
  data = join(ws.dir, "data");
  mkdirSync(data);
  writeFileSync(join(data, "a.txt"), "alpha\n");
}, 60_000);
afterAll(() => ws?.cleanup());

describe("a desktop agent's mcpServers config", () => {
  test("pointed at warrant mcp works unchanged", async () => {
    const bin = await ensureBinary();
    // The shape Claude Desktop, Cursor and others read from their JSON settings.
    const settings = {
      mcpServers: {
        files: {
          command: bin,
          args: ["mcp", "--config", ws.configPath, "--", ...filesystemServer(data)],
          // On PostgreSQL the store's URL is in the entry's env, as a user would put it.
          env: {
            MCP_TEST_TOKEN: "unused-on-stdio",
            ...(E2E_PG_URL ? { WARRANT_DATABASE_URL: E2E_PG_URL } : {}),
          } as Record<string, string>,
        },
      },
    };
    const file = join(ws.dir, "claude_desktop_config.json");
    writeFileSync(file, JSON.stringify(settings, null, 2));
    // What a desktop agent does with it: spawn command + args with env, speak MCP on stdio.
    const { mcpServers } = JSON.parse(readFileSync(file, "utf8")) as typeof settings;
    const entry = mcpServers.files;
    const client = new Client({ name: "desktop-agent", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: entry.command, args: entry.args, env: entry.env }),
    );
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain("read_text_file");
      // hide_denied: move_file is always denied, so it is not offered.
      expect(names).not.toContain("move_file");
      expect(names).toContain("write_file");
      const r = await client.callTool({
        name: "read_text_file",
        arguments: { path: join(data, "a.txt") },
      });
      expect(textOf(r)).toBe("alpha\n");
      const denied = await client.callTool({
        name: "move_file",
        arguments: { source: join(data, "a.txt"), destination: join(data, "b.txt") },
      });
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toContain("moves are not allowed");
      expect(readFileSync(join(data, "a.txt"), "utf8")).toBe("alpha\n");
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe("mcp.hold_wait_ms", () => {
  test(
    "a held call waits with progress notifications and runs once approved, in the same call",
    async () => {
      const agent = await connectThroughWarrant(ws.configPath, filesystemServer(data));
      try {
        const file = join(data, "waited.txt");
        const progress: Array<{ progress: number; message?: string }> = [];
        const call = agent.client.callTool(
          { name: "write_file", arguments: { path: file, content: "approved while waiting" } },
          undefined,
          { onprogress: (p) => void progress.push(p), timeout: 60_000 },
        );
        // The approver finds the request while the agent's call is still open.
        const requestId = await eventually(async () => {
          const r = await runCli(["pending", "--json", "--config", ws.configPath], { cwd: ws.dir });
          return /"(req_[0-9a-z]+)"/.exec(r.stdout)?.[1] ?? null;
        }, "the pending request");
        await eventually(() => progress.length > 0, "a progress notification");
        const ok = await runCli(
          ["approve", requestId!, "--key", ws.keys.alice!.path, "--config", ws.configPath],
          { cwd: ws.dir },
        );
        expect(ok.code).toBe(0);
        const r = await call;
        expect(r.isError).toBeFalsy();
        expect(textOf(r)).toContain("Successfully wrote");
        expect(readFileSync(file, "utf8")).toBe("approved while waiting");
        expect(progress[0]!.message).toContain("waiting for approval");
      } finally {
        await agent.close();
      }
    },
    60_000,
  );
});

describe("the --listen face", () => {
  test("needs the bearer token and refuses foreign Origins and Hosts", async () => {
    const token = "t0ken-for-mcp-listen";
    const w = await warrantListening(ws.configPath, ["--", ...everythingServer()], {
      env: { MCP_TEST_TOKEN: token },
    });
    try {
      const init = {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "raw", version: "1" },
        },
      };
      const post = (headers: Record<string, string>) =>
        fetch(w.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            ...headers,
          },
          body: JSON.stringify(init),
        });
      expect((await post({})).status).toBe(401);
      expect((await post({ authorization: "Bearer wrong" })).status).toBe(401);
      const auth = { authorization: `Bearer ${token}` };
      expect((await post({ ...auth, origin: "https://evil.example" })).status).toBe(403);
      expect((await post({ ...auth, host: "evil.example" })).status).toBe(403);
      const ok = await post({ ...auth, origin: "http://localhost:3000" });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("mcp-session-id")).toBeTruthy();
      await ok.body?.cancel();

      const agent = await connectHttp(w.url, { token });
      try {
        const r = await agent.client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
        expect(textOf(r)).toContain("5");
        const denied = await agent.client.callTool({ name: "get-env", arguments: {} });
        expect(denied.isError).toBe(true);
        expect(textOf(denied)).toContain("policy_denied");
      } finally {
        await agent.close();
      }
    } finally {
      expect(await w.stop()).toBe(0);
    }
  }, 60_000);
});
