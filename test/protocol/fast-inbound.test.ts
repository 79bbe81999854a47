import { describe, expect, test } from "bun:test";
import { fastInbound, inboundSchema } from "../../src/protocol/gate-inbound.ts";

/**
 * fastInbound is a shortcut in front of inboundSchema(): whatever it returns
 * must be exactly what the schema returns, and it must return null for
 * anything the schema refuses.
 */
const MESSAGES: unknown[] = [
  { type: "govern", id: 1, tool: "echo", args: { n: 1 } },
  { type: "govern", id: 0, tool: "echo" },
  { type: "govern", id: 2, tool: "echo", args: {}, correlation_id: null },
  { type: "govern", id: 3, tool: "echo", args: {}, correlation_id: "c-1" },
  { type: "govern", id: 4, tool: "echo", args: {}, correlation_id: "x".repeat(512) },
  { type: "govern", id: 5, tool: "echo", args: {}, correlation_id: "x".repeat(513) },
  { type: "govern", id: 6, tool: "t".repeat(256), args: {} },
  { type: "govern", id: 7, tool: "t".repeat(257), args: {} },
  { type: "govern", id: 8, tool: "", args: {} },
  { type: "govern", id: 9, tool: "echo", args: [1, 2] },
  { type: "govern", id: 10, tool: "echo", args: null },
  { type: "govern", id: 11, tool: "echo", args: "x" },
  { type: "govern", id: 12, tool: "echo", args: {}, sneaky: true },
  { type: "govern", id: -1, tool: "echo", args: {} },
  { type: "govern", id: 1.5, tool: "echo", args: {} },
  { type: "govern", id: Number.MAX_SAFE_INTEGER, tool: "echo", args: {} },
  { type: "govern", id: Number.MAX_SAFE_INTEGER + 1, tool: "echo", args: {} },
  { type: "govern", id: "1", tool: "echo", args: {} },
  { type: "govern", tool: "echo", args: {} },
  { type: "govern", id: 13, tool: 5, args: {} },
  { type: "govern", id: 14, tool: "echo", args: { nested: { deep: [1, { a: null }] } } },
  { type: "govern", id: 15, tool: "echo", args: {}, correlation_id: 7 },
  JSON.parse('{"type":"govern","id":16,"tool":"echo","args":{"__proto__":{"x":1}}}'),
  { type: "tool_result", id: 1, output: { hits: 3 } },
  { type: "tool_result", id: 2, output: null, documents: [] },
  { type: "tool_result", id: 3 },
  { type: "tool_result", id: 4, output: "x", documents: [{ text: "t", source: "s" }] },
  { type: "tool_result", id: 5, output: "x", documents: [{ text: 1 }] },
  { type: "tool_result", id: 6, output: "x", documents: {} },
  { type: "tool_result", id: 7, output: "x", extra: 1 },
  { type: "tool_result", id: -7, output: "x" },
  { type: "tool_error", id: 1, message: "boom" },
  { type: "register_tool", id: 1, name: "echo" },
  { type: "register_tool", id: 2, name: "" },
  { type: "register_tool", id: 3, name: "n".repeat(256) },
  { type: "register_tool", id: 4, name: "n".repeat(257) },
  { type: "register_tool", id: 5, name: 7 },
  { type: "register_tool", id: 6 },
  { type: "register_tool", name: "echo" },
  { type: "register_tool", id: -1, name: "echo" },
  { type: "register_tool", id: 7, name: "echo", level: 0 },
  { type: "register_tool", id: 8, name: null },
  { type: "resume", id: 1, action_id: "act_1" },
  { type: "shutdown" },
  { type: "shutdown", id: 9 },
  { type: "shutdown", id: null },
  { type: "shutdown", id: "9" },
  { type: "shutdown", id: 1.5 },
  { type: "shutdown", now: true },
  { type: "shutdown", id: 9, now: true },
  { type: "frobnicate", id: 8 },
  null,
  [1, 2],
  "govern",
  {},
];

describe("fastInbound", () => {
  for (const raw of MESSAGES) {
    test(JSON.stringify(raw)?.slice(0, 90) ?? String(raw), () => {
      const fast = fastInbound(raw);
      const slow = inboundSchema().safeParse(raw);
      if (!slow.success) expect(fast).toBeNull();
      else if (fast !== null) expect(fast).toEqual(slow.data);
    });
  }
  test("takes the common shapes of every session's messages (no fall-back to zod)", () => {
    expect(fastInbound({ type: "register_tool", id: 1, name: "echo" })).not.toBeNull();
    expect(fastInbound({ type: "shutdown" })).not.toBeNull();
    expect(fastInbound({ type: "shutdown", id: 3 })).not.toBeNull();
    expect(fastInbound({ type: "govern", id: 1, tool: "echo", args: { n: 1 } })).not.toBeNull();
    expect(fastInbound({ type: "govern", id: 1, tool: "echo", args: {}, correlation_id: null }))
      .not.toBeNull();
    expect(fastInbound({ type: "tool_result", id: 1, output: 1, documents: [] })).not.toBeNull();
    expect(fastInbound({ type: "tool_result", id: 1, output: 1 })).not.toBeNull();
  });
});
