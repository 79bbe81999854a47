/**
 * The HTTP API's wire (SPEC §6) as zod schemas: the query parameters the
 * routes parse with, the JSON they answer, and the RFC 9457 problem body.
 * One definition: the routes (transport/http/ (app.ts and routes/)) validate with these,
 * the types are inferred from them, and GET /openapi.json is generated from
 * them (transport/http/openapi.ts).
 *
 * @example ListQuery.parse({ state: "pending", limit: "20" }) // { state: "pending", limit: 20 }
 */
import { z } from "zod";

const isoTime = z.string().describe("ISO 8601 UTC time, e.g. 2026-11-23T10:00:00.000Z");
const id = z.string().min(1).max(128);

/** An integer query parameter written as decimal digits. */
const intText = (name: string, min: number, max: number) =>
  z.string().regex(/^\d{1,15}$/, `${name} must be an integer in ${min}..${max}`)
    .transform(Number)
    .pipe(
      z.number().int().min(min, `${name} must be an integer in ${min}..${max}`).max(
        max,
        `${name} must be an integer in ${min}..${max}`,
      ),
    );

export const RequestStateSchema = z.enum(["pending", "approved", "rejected", "expired"]);

/** GET /v1/approvals query. */
export const ListQuery = z.object({
  state: z.enum(
    ["pending", "approved", "rejected", "expired"],
    "state must be pending, approved, rejected or expired",
  ).optional().describe("only requests in this state"),
  limit: intText("limit", 1, 500).optional().describe("page size, 1..500 (default 50)"),
  cursor: z.string().max(400).optional().describe("next_cursor of the previous page"),
});

/** GET /v1/events query (Last-Event-ID, when sent, wins over `after`). */
export const EventsQuery = z.object({
  after: intText("after", 0, Number.MAX_SAFE_INTEGER).optional().describe(
    "replay events with seq > after, then follow live (default: live only)",
  ),
  type: z.string().regex(
    /^[a-z_.]{1,64}(,[a-z_.]{1,64}){0,31}$/,
    "type must be a comma list of event types like action.held",
  ).optional().describe("comma list of event types, e.g. request.created,request.approved"),
  action: z.string().min(1, "action must be an action id").max(128, "action must be an action id")
    .optional().describe("only events of this action id"),
});

export const RequirementSchema = z.object({
  rule: z.string(),
  quorum: z.number().int(),
  roles: z.array(z.string()),
  timeout_ms: z.number().int().nullable(),
});

export const QuorumProgressSchema = z.object({
  rule: z.string(),
  quorum: z.number().int(),
  roles: z.array(z.string()),
  approvers: z.array(z.string()).describe("distinct eligible approvers who approved"),
  keys: z.number().int().optional().describe("distinct public keys among approvers: what counts"),
  note: z.string().optional(),
});

export const QuorumSchema = z.object({
  state: z.enum(["pending", "approved", "rejected"]),
  progress: z.array(QuorumProgressSchema),
  denied_by: z.array(z.string()),
});

/** An approval request as shown to approvers: everything action_digest commits to, and more. */
export const RequestViewSchema = z.object({
  request_id: id,
  action_id: id,
  session_id: z.string().describe("an input of action_digest"),
  state: RequestStateSchema,
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  rules: z.array(z.string()).describe("the rules that held the action"),
  reason: z.string().nullable().describe("why it was held, in words"),
  requirements: z.array(RequirementSchema),
  policy: z.object({ id: z.string(), version: z.number().int() }),
  action_digest: z.string().regex(/^sha256:[0-9a-f]{64}$/).describe(
    "sha256: + hex(sha256(JCS({action_id, session_id, tool, args, policy: {id, version}, salt}))), " +
      "salt included when not null",
  ),
  salt: z.string().nullable().describe(
    "an input of action_digest: the request's random salt (base64 of 16 bytes), so that the " +
      "digest of small arguments cannot be inverted by guessing; null on requests made before salts",
  ),
  deadline: isoTime,
  created_at: isoTime,
  resolved_at: isoTime.nullable(),
  resolution_template: z.record(z.string(), z.string()).describe(
    "a warrant.resolution/v1 to fill in and sign",
  ),
  resolutions: z.array(z.object({
    approver: z.string(),
    decision: z.enum(["approve", "deny"]),
    at: isoTime,
  })),
  quorum: QuorumSchema.nullable(),
});

export const RequestListSchema = z.object({
  items: z.array(RequestViewSchema),
  next_cursor: z.string().nullable().describe("pass as cursor for the next page; null at the end"),
});

/** The answer to a POST of a resolution: the request after it, and whether it was new. */
export const ResolutionResultSchema = RequestViewSchema.extend({
  status: z.enum(["accepted", "duplicate"]).describe(
    "accepted (201) or an exact repeat of an accepted one (200)",
  ),
});

export const ActionViewSchema = z.object({
  action_id: id,
  state: z.string(),
  tool: z.string(),
  args_digest: z.string(),
  origin: z.string(),
  via: z.string().nullable().describe(
    'the face it came through: null for a hook or the CLI, "mcp stdio: COMMAND…" or "mcp http: URL" for warrant mcp',
  ),
  effect: z.string().nullable(),
  kind: z.string().nullable(),
  reason: z.string().nullable(),
  rules: z.array(z.string()),
  policy: z.object({ id: z.string().nullable(), version: z.number().int().nullable() }).nullable(),
  request_id: z.string().nullable(),
  deadline: isoTime.nullable(),
  output: z.unknown().describe("the tool's output once completed, else null"),
  created_at: isoTime,
  updated_at: isoTime,
});

export const AuditStatusSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe("events checked by this server since it started"),
  head_seq: z.number().int().describe("the last event checked"),
  complete: z.boolean().describe("false when more events remain; call again to continue"),
  first_bad: z.object({ seq: z.number().int(), problem: z.string() }).nullable(),
});

export const HealthSchema = z.object({ ok: z.literal(true) });

/** One audit event as SSE data: defined once, in protocol/events.ts. */
export { EventJsonSchema } from "./events.ts";

/** RFC 9457 problem details, with warrant's stable `code`. */
export const ProblemSchema = z.object({
  type: z.string().describe("urn:warrant:error:<code>"),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe("what failed, expected vs actual, and the fix"),
  code: z.string().describe("warrant's stable error code (the API)"),
  error: z.object({ code: z.string(), message: z.string() }).describe(
    "DEPRECATED: the pre-problem+json body, kept for one release; read code and detail",
  ),
});

export type RequestView = z.infer<typeof RequestViewSchema>;
export type ActionView = z.infer<typeof ActionViewSchema>;
export type { EventJson } from "./events.ts";
export type Problem = z.infer<typeof ProblemSchema>;
