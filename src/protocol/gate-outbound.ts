/**
 * The gate's stdio protocol, gate → hook: zod schemas for every message the
 * gate writes, and the types inferred from them (docs/protocol.md). The gate
 * (transport/stdio-gate.ts) writes only these types; the TS client
 * (client/gate-client.ts) reads them; the transcript tests validate every
 * line the gate writes against `GateMessageSchema`.
 *
 * Two id spaces: request ids are chosen by the hook (`register_tool`,
 * `govern`, `resume`) and echoed on the reply; callback ids are chosen by the
 * gate (`run_tool`) and echoed on `tool_result` / `tool_error`.
 */
import { z } from "zod";
import { RejectionKindSchema } from "./kinds.ts";

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const id = z.number().int().min(0);
const args = z.record(z.string(), z.unknown());

/** First line on stdout: the gate is serving. Extra fields (store, policy) are allowed. */
export const ReadySchema = z.looseObject({
  type: z.literal("ready"),
  session_id: z.string(),
  project_id: z.string(),
});

/** Answer to `register_tool`: 0 = always allowed … 4 = always held for approval. */
export const RegisteredSchema = z.strictObject({
  type: z.literal("registered"),
  id,
  name: z.string(),
  required_level: z.number().int().min(0).max(4),
});

const resultBase = {
  type: z.literal("govern_result"),
  id,
  action_id: z.string(),
  correlation_id: z.string().optional(),
};

/** The outcome of `govern` or `resume`, discriminated by `phase`. */
export const GovernResultSchema = z.discriminatedUnion("phase", [
  z.strictObject({ ...resultBase, phase: z.literal("completed"), output: z.unknown() }),
  z.strictObject({
    ...resultBase,
    phase: z.literal("pending_approval"),
    request_id: z.string(),
    /** ISO 8601. */
    deadline: z.string(),
  }),
  z.strictObject({
    ...resultBase,
    phase: z.literal("rejected"),
    reason: z.string(),
    kind: RejectionKindSchema,
  }),
  z.strictObject({
    ...resultBase,
    phase: z.literal("failed"),
    reason: z.string(),
    kind: RejectionKindSchema,
  }),
]);

/** The gate asks the hook to run an approved or allowed body (callback id chosen by the gate). */
export const RunToolSchema = z.strictObject({
  type: z.literal("run_tool"),
  id,
  tool: z.string(),
  args,
  action_id: z.string(),
});

/** A line the gate could not act on (malformed, oversize, shutting down); `id` when known. */
export const ErrorSchema = z.strictObject({
  type: z.literal("error"),
  id: id.optional(),
  message: z.string(),
});

/** Every message a gate writes. */
export const GateMessageSchema = z.union([
  ReadySchema,
  RegisteredSchema,
  GovernResultSchema,
  RunToolSchema,
  ErrorSchema,
]);

export type ReadyMessage = z.infer<typeof ReadySchema>;
export type RegisteredMessage = z.infer<typeof RegisteredSchema>;
export type GovernResultMessage = z.infer<typeof GovernResultSchema>;
export type GovernCompleted = Extract<GovernResultMessage, { phase: "completed" }>;
export type GovernPending = Extract<GovernResultMessage, { phase: "pending_approval" }>;
export type GovernRejected = Extract<GovernResultMessage, { phase: "rejected" }>;
export type GovernFailed = Extract<GovernResultMessage, { phase: "failed" }>;
export type RunToolMessage = z.infer<typeof RunToolSchema>;
export type ErrorMessage = z.infer<typeof ErrorSchema>;
export type GateMessage = z.infer<typeof GateMessageSchema>;

export type { Phase, RejectionKind } from "./kinds.ts";
