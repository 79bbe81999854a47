/**
 * One scripted MCP session over every capability of the reference
 * "everything" server, returning a transcript: what the agent saw. Run
 * directly against the upstream and through `warrant mcp`, the transcripts
 * must be equal (the transparency test).
 *
 * Covered: initialize (capabilities, server info, instructions), paginated
 * tools/list, tool results with text, image, annotations, resource links,
 * embedded resources and structured content, progress notifications,
 * sampling, elicitation and roots requests from the server to the client,
 * logging (setLevel + messages), resources (paginated list, templates, read,
 * subscribe/unsubscribe), prompts (list, get with arguments, embedded
 * resource), completions, ping, and an error for an unknown tool.
 * (This server version has no audio tool; its image tool stands for binary
 * content.)
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";

/** What the scripted session saw, as plain data. */
export type Transcript = Array<[string, unknown]>;

/** Hooks the session needs on the client before it connects (handlers for server requests). */
export function prepareClient(client: Client): { logs: unknown[] } {
  const logs: unknown[] = [];
  client.setRequestHandler(CreateMessageRequestSchema, (req) => ({
    model: "scripted-model",
    role: "assistant",
    stopReason: "endTurn",
    content: {
      type: "text",
      text: `sampled: ${JSON.stringify(req.params.messages[0]?.content)}`,
    },
  }));
  client.setRequestHandler(ElicitRequestSchema, (req) => ({
    action: "accept",
    content: {
      name: "Ada Lovelace",
      check: true,
      firstLine: String(req.params.message).slice(0, 20),
      email: "ada@example.org",
      homepage: "https://example.org",
      birthdate: "1815-12-10",
    },
  }));
  client.setRequestHandler(ListRootsRequestSchema, () => ({
    roots: [{ uri: "file:///scripted/root", name: "scripted" }],
  }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
  return { logs };
}

async function allPages<T>(
  list: (cursor?: string) => Promise<{ nextCursor?: string } & T>,
  key: keyof T,
): Promise<{ pages: number; items: unknown[] }> {
  const items: unknown[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(cursor);
    pages++;
    items.push(...(page[key] as unknown[]));
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages < 50);
  return { pages, items };
}

/** Run the script on a connected client (prepared with prepareClient). */
export async function scriptedSession(
  client: Client,
  prepared: { logs: unknown[] },
): Promise<Transcript> {
  const t: Transcript = [];
  // The server stamps dynamic resources with the wall-clock time: the transcript keeps "<time>".
  const note = (what: string, v: unknown) =>
    t.push([
      what,
      JSON.parse(JSON.stringify(v ?? null).replace(/\b\d{1,2}:\d\d:\d\d\s?[AP]M\b/g, "<time>")),
    ]);
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    try {
      note(`tools/call ${name}`, await client.callTool({ name, arguments: args }));
    } catch (e) {
      note(`tools/call ${name} threw`, String(e));
    }
  };

  note("server capabilities", client.getServerCapabilities());
  note("server version", client.getServerVersion());
  note("instructions", client.getInstructions());
  note("tools/list", await allPages((cursor) => client.listTools({ cursor }), "tools"));

  await call("echo", { message: "hello through the proxy" });
  await call("get-sum", { a: 19, b: 23 });
  await call("get-tiny-image");
  await call("get-annotated-message", { messageType: "success", includeImage: true });
  await call("get-resource-links", { count: 2 });
  await call("get-resource-reference", { resourceType: "Text", resourceId: 2 });
  await call("get-structured-content", { location: "Chicago" });

  const progress: unknown[] = [];
  note(
    "tools/call trigger-long-running-operation",
    await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.6, steps: 3 } },
      undefined,
      { onprogress: (p) => void progress.push(p) },
    ),
  );
  // The SDK client drops a progress notification that lands in the same read
  // as the response (its handler is gone by then): keep the first two.
  note("progress notifications", progress.slice(0, 2));

  await call("trigger-sampling-request", { prompt: "scripted prompt", maxTokens: 12 });
  await call("trigger-elicitation-request");
  await call("get-roots-list");

  note("logging/setLevel", await client.setLoggingLevel("debug"));
  await call("toggle-simulated-logging");
  const until = Date.now() + 5000;
  while (prepared.logs.length === 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
  }
  // The server picks the level at random: the transcript keeps the shape.
  note(
    "logging messages",
    prepared.logs.slice(0, 1).map((l) => typeof (l as { data?: unknown }).data),
  );
  await call("toggle-simulated-logging");

  const resources = await allPages((cursor) => client.listResources({ cursor }), "resources");
  note("resources/list", resources);
  note(
    "resources/templates/list",
    await allPages((cursor) => client.listResourceTemplates({ cursor }), "resourceTemplates"),
  );
  const first = resources.items[0] as { uri: string } | undefined;
  if (first) {
    note("resources/read", await client.readResource({ uri: first.uri }));
    note("resources/subscribe", await client.subscribeResource({ uri: first.uri }));
    note("resources/unsubscribe", await client.unsubscribeResource({ uri: first.uri }));
  }

  note("prompts/list", await allPages((cursor) => client.listPrompts({ cursor }), "prompts"));
  note("prompts/get simple", await client.getPrompt({ name: "simple-prompt" }));
  const prompts = (await client.listPrompts()).prompts;
  for (const p of prompts.filter((p) => p.name !== "simple-prompt")) {
    const values: Record<string, string> = { resourceType: "Text", department: "Sales" };
    const args = Object.fromEntries(
      (p.arguments ?? []).map((a) => [a.name, values[a.name] ?? "1"]),
    );
    try {
      note(`prompts/get ${p.name}`, await client.getPrompt({ name: p.name, arguments: args }));
    } catch (e) {
      note(`prompts/get ${p.name} threw`, String(e));
    }
  }
  note(
    "completion/complete",
    await client.complete({
      ref: { type: "ref/prompt", name: "completable-prompt" },
      argument: { name: "department", value: "S" },
    }),
  );
  note(
    "completion/complete with context",
    await client.complete({
      ref: { type: "ref/prompt", name: "completable-prompt" },
      argument: { name: "name", value: "" },
      context: { arguments: { department: "Sales" } },
    }),
  );
  note("ping", await client.ping());
  await call("no-such-tool", { x: 1 });
  return t;
}
