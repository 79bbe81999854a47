/**
 * Transparency: the same scripted MCP session over every capability of the
 * reference "everything" server (mcp-session.ts), run directly against the
 * server and through `warrant mcp` with an allow-all policy — agent on stdio,
 * agent on Streamable HTTP (--listen), upstream over Streamable HTTP (--url)
 * — gives the same transcript. And `audit verify` passes after.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeWorkspace, runCli } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import {
  connectHttp,
  connectStdio,
  connectThroughWarrant,
  everythingServer,
  freePort,
  JS_RUNTIME,
  spawnListening,
  warrantListening,
} from "./mcp-harness.ts";
import type { Agent } from "./mcp-harness.ts";
import { prepareClient, scriptedSession } from "./mcp-session.ts";
import type { Transcript } from "./mcp-session.ts";
import { join } from "node:path";
import { ROOT } from "./harness.ts";

let ws: Workspace;
let direct: Transcript;

async function run(connect: (setup: (c: Agent["client"]) => void) => Promise<Agent>) {
  let prepared!: { logs: unknown[] };
  const agent = await connect((c) => (prepared = prepareClient(c)));
  try {
    return await scriptedSession(agent.client, prepared);
  } finally {
    await agent.close();
  }
}

beforeAll(async () => {
  ws = await makeWorkspace({
    policy: { policy: "allow-all", version: 1, default: "allow", rules: [] },
  });
  direct = await run((setup) => connectStdio(everythingServer(), { setup }));
}, 60_000);
afterAll(() => ws?.cleanup());

function expectSame(through: Transcript): void {
  expect(through.map(([what]) => what)).toEqual(direct.map(([what]) => what));
  for (let i = 0; i < direct.length; i++) {
    expect([through[i]![0], through[i]![1]]).toEqual([direct[i]![0], direct[i]![1]]);
  }
}

describe("the everything server through warrant mcp gives the same session", () => {
  test("the direct session exercised every capability", () => {
    const seen = new Map(direct);
    const types = JSON.stringify(direct);
    for (
      const t of ['"type":"text"', '"type":"image"', '"type":"resource"', '"type":"resource_link"']
    ) {
      expect(types.includes(t), `the session saw content ${t}`).toBe(true);
    }
    expect(seen.get("progress notifications")).toEqual([
      { progress: 1, total: 3 },
      { progress: 2, total: 3 },
    ]);
    expect(JSON.stringify(seen.get("tools/call trigger-sampling-request"))).toContain("sampled:");
    expect(JSON.stringify(seen.get("tools/call trigger-elicitation-request"))).toContain(
      "Ada Lovelace",
    );
    expect(JSON.stringify(seen.get("tools/call get-roots-list"))).toContain(
      "file:///scripted/root",
    );
    expect(seen.get("logging messages")).toEqual(["string"]);
    expect(JSON.stringify(seen.get("completion/complete"))).toContain("Sales");
    expect(JSON.stringify(seen.get("tools/call get-structured-content"))).toContain(
      "structuredContent",
    );
  });

  test("agent on stdio", async () => {
    expectSame(
      await run((setup) => connectThroughWarrant(ws.configPath, everythingServer(), { setup })),
    );
  }, 60_000);

  test("agent on Streamable HTTP (--listen)", async () => {
    const w = await warrantListening(ws.configPath, ["--", ...everythingServer()]);
    try {
      expectSame(await run((setup) => connectHttp(w.url, { setup })));
    } finally {
      expect(await w.stop()).toBe(0);
    }
  }, 60_000);

  test(
    "upstream on Streamable HTTP (--url): same as talking to it directly over HTTP",
    async () => {
      const port = freePort();
      const upstream = await spawnListening(
        [
          JS_RUNTIME,
          join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
          "streamableHttp",
        ],
        /listening on port (\d+)/,
        { env: { PORT: String(port) } },
      );
      const url = `http://127.0.0.1:${port}/mcp`;
      // Each HTTP session has its own id, which the server quotes in some texts.
      const bare = (t: Transcript) =>
        JSON.parse(
          JSON.stringify(t).replace(
            /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
            "<session>",
          ),
        );
      try {
        const directHttp = bare(await run((setup) => connectHttp(url, { setup })));
        const through = bare(
          await run((setup) => connectThroughWarrant(ws.configPath, [], { setup, url })),
        );
        expect(through).toEqual(directHttp);
        expect(JSON.stringify(directHttp)).toContain("Echo: hello through the proxy");
      } finally {
        await upstream.stop();
      }
    },
    60_000,
  );

  test("every tools/call through warrant was governed and recorded; audit verify passes", async () => {
    const r = await runCli(["audit", "verify", "--config", ws.configPath], { cwd: ws.dir });
    expect(r.code).toBe(0);
    const x = await runCli(["audit", "export", "--config", ws.configPath], { cwd: ws.dir });
    const events = x.stdout.trim().split("\n").map((l) =>
      JSON.parse(l) as { type: string; payload: { tool?: string; via?: string } }
    );
    const proposed = events.filter((e) => e.type === "action.proposed");
    const calls = direct.filter(([what]) => what.startsWith("tools/call ")).length;
    // Three sessions through warrant (stdio agent, --listen agent, --url upstream).
    expect(proposed.length).toBe(3 * calls);
    expect(proposed.every((e) => e.payload.via?.startsWith("mcp "))).toBe(true);
    expect(events.filter((e) => e.type === "action.completed").length).toBeGreaterThan(2 * calls);
  });
});
