/**
 * The gate's stdio protocol, hook → gate: zod schemas for every message a
 * hook sends, validated strictly (unknown fields and wrong types are
 * refused), and the types inferred from them. docs/protocol.md is the
 * reference; gate-outbound.ts is the other direction.
 */
import * as z from "zod/mini";
import type { $ZodError } from "zod/v4/core";
import { zodMessages } from "../core/zod-messages.ts";

// zod's "mini" build (as app/config.ts): the same checks and messages,
// built at every start ~3x faster than with the classic API.
zodMessages();

const buildInboundSchema = () => {
  const id = z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
  const name = z.string().check(z.minLength(1), z.maxLength(256));
  const args = z.record(z.string(), z.unknown());
  return z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("register_tool"), id, name }),
    z.strictObject({
      type: z.literal("govern"),
      id,
      tool: name,
      args: z._default(args, {}),
      correlation_id: z.nullish(z.string().check(z.maxLength(512))),
    }),
    z.strictObject({
      type: z.literal("resume"),
      id,
      action_id: z.string().check(z.minLength(1), z.maxLength(128)),
      request_id: z.nullish(z.string().check(z.maxLength(128))),
      wait_ms: z.nullish(z.number().check(z.int(), z.minimum(0), z.maximum(86_400_000))),
    }),
    z.strictObject({
      type: z.literal("tool_result"),
      id,
      output: z.unknown(),
      documents: z._default(
        z.array(z.strictObject({ text: z.string(), source: z.nullish(z.string()) })),
        [],
      ),
    }),
    z.strictObject({
      type: z.literal("tool_error"),
      id,
      message: z.string().check(z.maxLength(1_000_000)),
    }),
    z.strictObject({ type: z.literal("shutdown"), id: z.optional(id) }),
  ]);
};
let schema: ReturnType<typeof buildInboundSchema> | undefined;

/**
 * Every message a hook may send, strictly. Built on first use: a session
 * whose messages all take fastInbound's path (register_tool, govern,
 * tool_result, shutdown in their usual shapes) never builds it, which is
 * about 1 ms of a gate's start (bench/startup.ts).
 */
export const inboundSchema = () => schema ??= buildInboundSchema();

/** A hook message after parsing (defaults applied). */
export type Inbound = z.infer<ReturnType<typeof buildInboundSchema>>;

/** Every message a hook may send, as it writes it (defaults not yet applied). */
export type HookMessage = z.input<ReturnType<typeof buildInboundSchema>>;
export type RegisterToolMessage = Extract<HookMessage, { type: "register_tool" }>;
export type GovernMessage = Extract<HookMessage, { type: "govern" }>;
export type ResumeMessage = Extract<HookMessage, { type: "resume" }>;
export type ToolResultMessage = Extract<HookMessage, { type: "tool_result" }>;
export type ToolErrorMessage = Extract<HookMessage, { type: "tool_error" }>;
export type ShutdownMessage = Extract<HookMessage, { type: "shutdown" }>;
/** An untrusted document a tool surfaced (page, file). */
export type ToolDocument = NonNullable<ToolResultMessage["documents"]>[number];

/**
 * The messages of every session (`register_tool`, `shutdown`) and of every
 * governed call (`govern`, `tool_result`) checked by hand, in the common
 * shape: exactly what inboundSchema() would return for them (defaults
 * applied, unknown fields refused), or null — then the message goes
 * through the schema, which accepts or explains. Anything unusual (a
 * `__proto__` key in args, documents given) is left to the schema.
 *
 * @example fastInbound({ type: "govern", id: 1, tool: "echo", args: {} })
 * // → { type: "govern", id: 1, tool: "echo", args: {} }
 */
export function fastInbound(raw: unknown): Inbound | null {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  const m = raw as Record<string, unknown>;
  if (m.type === "shutdown") {
    if (m.id === undefined) return hasExactly(m, 1) ? { type: "shutdown" } : null;
    return isId(m.id) && hasExactly(m, 2) ? { type: "shutdown", id: m.id } : null;
  }
  if (!isId(m.id)) return null;
  if (m.type === "govern") {
    let n = 3; // type, id, tool
    const tool = m.tool;
    if (typeof tool !== "string" || tool.length < 1 || tool.length > 256) return null;
    let args = m.args;
    if (args === undefined) args = {};
    else if (!isPlainRecord(args)) return null;
    else n++;
    const c = m.correlation_id;
    if (c !== undefined) {
      if (c !== null && (typeof c !== "string" || c.length > 512)) return null;
      n++;
    }
    if (!hasExactly(m, n)) return null;
    const out = { type: "govern" as const, id: m.id, tool, args: args as Record<string, unknown> };
    return c === undefined ? out : { ...out, correlation_id: c as string | null };
  }
  if (m.type === "register_tool") {
    const name = m.name;
    if (typeof name !== "string" || name.length < 1 || name.length > 256) return null;
    return hasExactly(m, 3) ? { type: "register_tool", id: m.id, name } : null;
  }
  if (m.type === "tool_result") {
    // zod requires the key (its value may be anything, null included).
    if (!Object.hasOwn(m, "output")) return null;
    let n = 3; // type, id, output
    const docs = m.documents;
    if (docs !== undefined) {
      if (!Array.isArray(docs) || docs.length > 0) return null;
      n++;
    }
    if (!hasExactly(m, n)) return null;
    return { type: "tool_result", id: m.id, output: m.output, documents: [] };
  }
  return null;
}

const isId = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;

/** A plain object zod's record copies as is: no `__proto__` own key (the schema handles one). */
function isPlainRecord(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(v, "__proto__");
}

/** `m` has `n` own keys (the ones checked: so no unknown field). */
function hasExactly(m: Record<string, unknown>, n: number): boolean {
  let k = 0;
  for (const key in m) if (Object.hasOwn(m, key)) k++;
  return k === n;
}

/** Nesting depth of a JSON value, iteratively (a hostile line cannot blow the stack). */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  // Two parallel stacks, not a pair per value: this runs on every line.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const d = depths.pop()!;
    if (d > max) max = d;
    if (max > limit) return max;
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        values.push(v[i]);
        depths.push(d + 1);
      }
    } else {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        values.push((v as Record<string, unknown>)[k]);
        depths.push(d + 1);
      }
    }
  }
  return max;
}

/** One-line description of why a message was refused (the first zod issue, with its path). */
export function describeIssue(err: $ZodError): string {
  const i = err.issues[0];
  if (!i) return "invalid message";
  const path = i.path.length > 0 ? i.path.map(String).join(".") : "(message)";
  if (i.code === "unrecognized_keys") {
    return `${path}: unknown field(s) ${(i as { keys: string[] }).keys.join(", ")}`;
  }
  return `${path}: ${i.message}`;
}
