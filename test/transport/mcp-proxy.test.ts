/**
 * McpProxy in process: an SDK Client (the agent) ⇄ McpProxy ⇄ an SDK
 * McpServer (the upstream), over the SDK's in-memory transports, with the
 * real GateService on a real store. Covers what the e2e tests cannot reach
 * easily: a tools/call warrant cannot read is refused and never forwarded,
 * a cancelled call is cancelled upstream and recorded unknown, and the
 * upstream going away answers the calls in flight.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { GateService } from "../../src/app/gate-service.ts";
import type { Store } from "../../src/app/ports/store.ts";
import { compilePolicy } from "../../src/core/policy/compile.ts";
import { parsePolicyDocument } from "../../src/core/policy/schema.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { systemClock, systemIds } from "../../src/platform/system.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { McpProxy, toolOutcomeOf } from "../../src/transport/mcp-proxy.ts";
import { alwaysDenied, filterToolList } from "../../src/transport/mcp-tool-list.ts";
import { redactArgv, stdioUpstream } from "../../src/transport/mcp-upstream.ts";

const policy = compilePolicy(parsePolicyDocument(
  JSON.stringify({
    policy: "unit",
    version: 1,
    default: "deny",
    rules: [
      { id: "ok", tool: ["add", "slow"], effect: "allow" },
      { id: "no", tool: "rm", effect: "deny" },
      { id: "maybe", tool: "cond", when: { x: { eq: 1 } }, effect: "allow" },
    ],
  }),
  "unit.policy.json",
));

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Agent, proxy and upstream wired together; `seen` counts the upstream's tool runs. */
async function rig() {
  const dir = mkdtempSync(join(tmpdir(), "warrant-mcp-unit-"));
  const store: Store = openStore({ path: join(dir, "w.db"), driver: bunSqlite });
  const sessionId = "ses_unit";
  store.tx((tx) => tx.openSession({ id: sessionId, project: "p", pid: process.pid, at: 1 }));
  const service = new GateService({
    store,
    clock: systemClock,
    ids: systemIds(),
    logger: { log: () => {} },
    policy: () => policy,
    // One policy for the whole test: holds are re-verified against it.
    holdPolicy: (id, version) =>
      id === policy.id && version === policy.version
        ? { ok: true, policy }
        : { ok: false, problem: `no policy ${id} v${version}` },
    project: "p",
    sessionId,
    defaultHoldTimeoutMs: 60_000,
  });
  const seen: string[] = [];
  let release: () => void = () => {};
  const server = new McpServer({ name: "unit-upstream", version: "1.0.0" });
  server.registerTool("add", { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => {
    seen.push("add");
    return { content: [{ type: "text", text: String(a + b) }] };
  });
  server.registerTool("slow", { inputSchema: {} }, async (_args, extra) => {
    seen.push("slow");
    extra.signal.addEventListener("abort", () => void seen.push("slow cancelled upstream"));
    await new Promise<void>((r) => (release = r));
    return { content: [{ type: "text", text: "slow done" }] };
  });
  const [upClient, upServer] = InMemoryTransport.createLinkedPair();
  const [agentSide, proxySide] = InMemoryTransport.createLinkedPair();
  await server.connect(upServer);
  const proxy = new McpProxy(proxySide, upClient, {
    service,
    logger: { log: () => {} },
    policy: () => policy,
    via: "mcp test: in-memory",
    toolPrefix: "",
    hideDenied: false,
    holdWaitMs: 0,
    toolTimeoutMs: 10_000,
    hint: { configPath: "/x/warrant.json" },
  });
  let gone = 0;
  proxy.onUpstreamGone = () => void gone++;
  await proxy.start();
  const client = new Client({ name: "agent", version: "1" });
  await client.connect(agentSide);
  cleanup.push(async () => {
    release();
    await client.close().catch(() => {});
    await proxy.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { client, proxy, store, seen, server, release: () => release(), gone: () => gone };
}

describe("McpProxy", () => {
  test("an allowed call runs upstream once and is recorded completed with the result", async () => {
    const r = await rig();
    const res = await r.client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
    expect(res.content).toEqual([{ type: "text", text: "42" }]);
    expect(r.seen).toEqual(["add"]);
    const types = r.store.events({ limit: 100 }).map((e) => e.type);
    expect(types.filter((t) => t.startsWith("action."))).toEqual([
      "action.proposed",
      "action.allowed",
      "action.executing",
      "action.completed",
    ]);
  });

  test("a tools/call whose arguments are not an object is refused and never forwarded", async () => {
    const r = await rig();
    await expect(
      r.client.request(
        { method: "tools/call", params: { name: "add", arguments: [1, 2] as unknown as object } },
        z.object({}).passthrough(),
      ),
    ).rejects.toThrow(/invalid tools\/call params/);
    expect(r.seen).toEqual([]);
  });

  test("a cancelled call is cancelled upstream and recorded unknown", async () => {
    const r = await rig();
    const ac = new AbortController();
    const call = r.client.callTool({ name: "slow", arguments: {} }, undefined, {
      signal: ac.signal,
    });
    for (let i = 0; i < 100 && r.seen.length === 0; i++) {
      await new Promise((x) => setTimeout(x, 10));
    }
    expect(r.seen).toEqual(["slow"]);
    ac.abort("the agent gave up");
    await expect(call).rejects.toThrow();
    let state = "";
    for (let i = 0; i < 100 && state !== "unknown"; i++) {
      await new Promise((x) => setTimeout(x, 10));
      const row = r.store.events({ limit: 1000 }).find((e) => e.type === "action.unknown");
      state = row ? "unknown" : "";
    }
    expect(state).toBe("unknown");
    expect(r.seen).toContain("slow cancelled upstream");
  });

  test("the upstream closing answers the calls in flight and tells the owner once", async () => {
    const r = await rig();
    const call = r.client.callTool({ name: "slow", arguments: {} });
    for (let i = 0; i < 100 && r.seen.length === 0; i++) {
      await new Promise((x) => setTimeout(x, 10));
    }
    await r.server.close();
    const res = await call;
    expect(res.isError).toBe(true);
    expect(JSON.stringify(res.content)).toContain("outcome_unknown");
    expect(r.gone()).toBe(1);
    expect(r.proxy.upstreamClosed).toBe(true);
    // Later requests get an error at once, never silence.
    await expect(r.client.listTools()).rejects.toThrow(/upstream MCP server exited/);
  });
});

describe("tools/list filtering and outcomes", () => {
  test("alwaysDenied: unconditional deny, or no rule under default deny", () => {
    expect(alwaysDenied(policy, "rm")).toBe(true);
    expect(alwaysDenied(policy, "unknown-tool")).toBe(true);
    expect(alwaysDenied(policy, "add")).toBe(false);
    expect(alwaysDenied(policy, "cond")).toBe(false);
    const list = {
      jsonrpc: "2.0",
      id: 3,
      result: { tools: [{ name: "add" }, { name: "rm" }, { name: "cond" }], nextCursor: "c2" },
    };
    expect(filterToolList(list, policy, "")).toEqual({
      jsonrpc: "2.0",
      id: 3,
      result: { tools: [{ name: "add" }, { name: "cond" }], nextCursor: "c2" },
    });
    const error = { jsonrpc: "2.0", id: 4, error: { code: -1, message: "x" } };
    expect(filterToolList(error, policy, "")).toBe(error);
  });

  test("toolOutcomeOf: isError and JSON-RPC errors fail, with the upstream's words as detail", () => {
    expect(toolOutcomeOf({ id: 1, result: { content: [{ type: "text", text: "ok" }] } })).toEqual({
      ok: true,
      output: { content: [{ type: "text", text: "ok" }] },
    });
    const failed = toolOutcomeOf({
      id: 1,
      result: { content: [{ type: "text", text: "disk full" }], isError: true },
    });
    expect([failed.ok, failed.detail]).toEqual([false, "disk full"]);
    expect(failed.message).not.toContain("disk full");
    const err = toolOutcomeOf({ id: 1, error: { code: -32602, message: "bad args" } });
    expect([err.ok, err.detail]).toEqual([false, "bad args"]);
    expect(err.message).toContain("-32602");
  });
});

describe("the recorded upstream (via)", () => {
  test("redactArgv hides secret flag values and URL credentials", () => {
    expect(
      redactArgv([
        "npx",
        "-y",
        "@acme/server",
        "--api-key",
        "sk-123",
        "--token=abc",
        "--root",
        "/data",
        "https://user:pw@host.example/mcp?key=1",
      ]),
    ).toEqual([
      "npx",
      "-y",
      "@acme/server",
      "--api-key",
      "***",
      "--token=***",
      "--root",
      "/data",
      "https://host.example/mcp",
    ]);
    expect(stdioUpstream(["srv", "--password", "hunter2"], {}, "/").via).toBe(
      "mcp stdio: srv --password ***",
    );
  });
});
