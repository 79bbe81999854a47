/**
 * The MCP messages warrant reads rather than relays: the JSON-RPC envelope
 * (to tell requests, responses and notifications apart), `tools/call`
 * params (governed), the tool result (recorded as the outcome) and the
 * `tools/list` result (filtered when `mcp.hide_denied`). Everything else
 * crosses the proxy as the upstream or the client wrote it.
 *
 * Inbound params are untrusted: a `tools/call` that does not match is
 * refused (never forwarded ungoverned). Loose objects keep every field a
 * newer protocol revision may add, so relayed messages stay unchanged.
 */
import { z } from "zod";

export const RequestIdSchema = z.union([z.string(), z.number()]);
export type RequestId = z.infer<typeof RequestIdSchema>;

/** `tools/call` params: the name and arguments the policy sees (with `mcp.tool_prefix`). */
export const ToolCallParamsSchema = z.looseObject({
  name: z.string().min(1).max(512),
  arguments: z.record(z.string(), z.unknown()).optional(),
  _meta: z.looseObject({ progressToken: RequestIdSchema.optional() }).optional(),
});
export type ToolCallParams = z.infer<typeof ToolCallParamsSchema>;

/** A tool result: only `isError` and the text content are read (a failed outcome's reason). */
export const CallToolResultSchema = z.looseObject({
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })).optional(),
  isError: z.boolean().optional(),
});
export type CallToolResult = z.infer<typeof CallToolResultSchema>;

/** `tools/list` result: each tool's name is read to hide the ones the policy always denies. */
export const ListToolsResultSchema = z.looseObject({
  tools: z.array(z.looseObject({ name: z.string() })),
});

/** The `_meta` key under which warrant describes an answer it made itself. */
export const OUTCOME_META_KEY = "warrant/outcome";

/** JSON-RPC error codes warrant answers with (JSON-RPC 2.0 §5.1). */
export const JSONRPC_INVALID_PARAMS = -32602;
export const JSONRPC_INTERNAL_ERROR = -32603;
/** The MCP SDK's "connection closed" code: the upstream went away. */
export const MCP_CONNECTION_CLOSED = -32000;

type Obj = Record<string, unknown>;

/** A request (has `method` and `id`). */
export function isRequest(m: unknown): m is Obj & { method: string; id: RequestId } {
  const o = m as Obj;
  return typeof o?.method === "string" && "id" in o && o.id !== undefined;
}

/** A notification (has `method`, no `id`). */
export function isNotification(m: unknown): m is Obj & { method: string } {
  const o = m as Obj;
  return typeof o?.method === "string" && !("id" in o && o.id !== undefined);
}

/** A response (has `id` and `result` or `error`, no `method`). */
export function isResponse(m: unknown): m is Obj & { id: RequestId } {
  const o = m as Obj;
  return typeof o?.method !== "string" && o !== null && typeof o === "object" &&
    (typeof o.id === "string" || typeof o.id === "number") && ("result" in o || "error" in o);
}

/** A map key for a JSON-RPC id: 1 and "1" are different ids. */
export function idKey(id: RequestId): string {
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}
