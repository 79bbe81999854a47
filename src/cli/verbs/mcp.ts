/**
 * `warrant mcp`: govern an MCP server's tools without changing the agent.
 * The wiring lives in runtime/mcp.ts.
 */
import { flagString, requireFlag, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";

const HELP = `warrant mcp — govern an MCP server's tools without changing the agent

Usage: warrant mcp --config FILE [--listen HOST:PORT] -- COMMAND [ARGS...]
       warrant mcp --config FILE [--listen HOST:PORT] --url URL

warrant speaks MCP to the agent's MCP client (on stdio, or Streamable HTTP
at /mcp with --listen) and relays everything to the upstream MCP server
(spawned COMMAND over stdio, or the Streamable HTTP endpoint URL) unchanged,
except tools/call: each call is decided by the signed policy (tool name =
mcp.tool_prefix + the MCP tool name, args = its arguments), recorded, and
only an allowed or approved call reaches the upstream. Denied and held calls
answer a tool result with isError and the reason; call a held tool again
with the same arguments once it is approved: it runs once.

Config ("mcp" in warrant.json, all optional):
  tool_prefix          prefix of the policy's tool names (default "")
  hide_denied          leave always-denied tools out of tools/list (default false)
  hold_wait_ms         wait this long for approval before answering (default 0)
  upstream_token_env   variable with the bearer token for --url
  allowed_origins      browser Origins allowed on --listen besides loopback
--listen takes the read token of http.token_env, like warrant serve.

Flags:
  --config FILE        warrant.json (required)
  --url URL            a Streamable HTTP upstream instead of a command
  --listen HOST:PORT   serve the agent side over Streamable HTTP at /mcp

Example (a desktop agent's mcpServers entry):
  {"command": "warrant", "args": ["mcp", "--config", "/srv/warrant.json", "--",
   "npx", "-y", "@modelcontextprotocol/server-filesystem", "/data"]}`;

/** `warrant mcp`. */
export const mcpVerb: Verb = {
  name: "mcp",
  summary: "govern an MCP server's tools/call (an MCP proxy)",
  help: HELP,
  flags: { config: { type: "string" }, url: { type: "string" }, listen: { type: "string" } },
  face: true,
  async run(args, io) {
    const configPath = requireFlag(args, "config", "the path to warrant.json");
    const url = flagString(args, "url");
    const command = args.positionals;
    if ((url === undefined) === (command.length === 0)) {
      throw new UsageError(
        "give the upstream either after -- (COMMAND [ARGS...]) or with --url URL",
      );
    }
    const listen = flagString(args, "listen");
    return await io.runtime.mcp(configPath, {
      command,
      ...(url !== undefined ? { url } : {}),
      ...(listen !== undefined ? { listen } : {}),
    }, io);
  },
};
