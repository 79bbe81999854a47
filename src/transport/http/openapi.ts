/**
 * GET /openapi.json: the HTTP API as an OpenAPI 3.1 document, generated from
 * the zod schemas the routes parse and answer with (protocol/http-views.ts)
 * and the resolution schema core verifies with — one source, so the document
 * cannot describe another API than the one served. test/http/openapi.test.ts
 * validates it and calls every operation it lists.
 */
import { z } from "zod";
import type { $ZodType } from "zod/v4/core";
import { resolutionSchema } from "../../core/approval/resolution.ts";
import {
  ActionViewSchema,
  AuditStatusSchema,
  EventsQuery,
  HealthSchema,
  ListQuery,
  ProblemSchema,
  RequestListSchema,
  RequestViewSchema,
  ResolutionResultSchema,
} from "../../protocol/http-views.ts";
import { EventJsonSchema, WebhookEventSchema } from "../../protocol/events.ts";
import { HTTP_STATUS } from "./status.ts";
import type { HttpCode } from "./status.ts";

type Json = Record<string, unknown>;

/** JSON Schema (2020-12, the dialect of OpenAPI 3.1) of a zod schema. */
function schemaOf(s: $ZodType, io: "input" | "output" = "output"): Json {
  const out = z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ "application/json": { schema } });

/** The problem responses of an operation, one per status, naming the codes behind each. */
function problems(codes: HttpCode[]): Json {
  const byStatus = new Map<number, HttpCode[]>();
  for (const c of codes) byStatus.set(HTTP_STATUS[c], [...(byStatus.get(HTTP_STATUS[c]) ?? []), c]);
  const out: Json = {};
  for (const [status, cs] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: `problem: ${cs.join(", ")}`,
      content: { "application/problem+json": { schema: ref("Problem") } },
    };
  }
  return out;
}

/** Query parameters of an operation from its zod query schema. */
function queryParams(s: z.ZodObject): Json[] {
  const shape = schemaOf(s, "input") as { properties: Record<string, Json> };
  return Object.entries(shape.properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: "query", required: false, description, schema: rest };
  });
}

const pathId = (name: string, what: string) => ({
  name,
  in: "path",
  required: true,
  description: what,
  schema: { type: "string", minLength: 1, maxLength: 128 },
});

const READ_ERRORS: HttpCode[] = ["unauthorized", "rate_limited", "headers_too_large"];

/**
 * The document. `serverUrl` (e.g. http://127.0.0.1:8787) goes in `servers`
 * when given.
 */
export function openApiDocument(serverUrl?: string): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "warrant HTTP API",
      version: "1",
      description:
        "Approval requests, signed resolutions, actions and the audit event stream of a warrant " +
        "store. Reads need `Authorization: Bearer <token>` when the server has http.token_env; " +
        "resolutions are authenticated by their ed25519 signature. Errors are RFC 9457 " +
        "application/problem+json with warrant's stable `code`; the `error` member is the " +
        "deprecated pre-problem body, kept for one release.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths: {
      "/healthz": {
        get: {
          operationId: "health",
          summary: "liveness",
          security: [],
          responses: { "200": { description: "up", content: json(ref("Health")) } },
        },
      },
      "/metrics": {
        get: {
          operationId: "metrics",
          summary: "Prometheus metrics",
          responses: {
            "200": {
              description: "Prometheus text exposition format",
              content: { "text/plain": { schema: { type: "string" } } },
            },
            ...problems(READ_ERRORS),
          },
        },
      },
      "/v1/approvals": {
        get: {
          operationId: "listApprovals",
          summary: "approval requests, oldest id first, a page at a time",
          parameters: queryParams(ListQuery),
          responses: {
            "200": { description: "a page", content: json(ref("RequestList")) },
            ...problems(["invalid_argument", "too_many_replays", ...READ_ERRORS]),
          },
        },
      },
      "/v1/approvals/{request_id}": {
        get: {
          operationId: "getApproval",
          summary: "a request: what to review, the digest to sign, quorum progress",
          parameters: [pathId("request_id", "the request id")],
          responses: {
            "200": { description: "the request", content: json(ref("RequestView")) },
            ...problems(["request_not_found", ...READ_ERRORS]),
          },
        },
      },
      "/v1/approvals/{request_id}/resolutions": {
        post: {
          operationId: "postResolution",
          summary: "submit a signed warrant.resolution/v1 (approve or deny)",
          description: "Authenticated by the signature, not the bearer token. The signed bytes " +
            'are "warrant:resolution:v1\\n" + JCS(the document without signature).',
          security: [],
          parameters: [pathId("request_id", "the request id")],
          requestBody: { required: true, content: json(ref("Resolution")) },
          responses: {
            "201": { description: "accepted", content: json(ref("ResolutionResult")) },
            "200": {
              description: "an exact repeat of an accepted resolution",
              content: json(ref("ResolutionResult")),
            },
            ...problems([
              "resolution_schema_invalid",
              "json_duplicate_key",
              "approver_unknown",
              "approver_not_eligible",
              "resolution_signature_invalid",
              "request_not_found",
              "request_closed",
              "action_mismatch",
              "digest_mismatch",
              "nonce_reused",
              "request_expired",
              "payload_too_large",
              "unsupported_media_type",
              "resolution_not_yet_valid",
              "resolution_expired",
              "resolution_window_invalid",
              "rate_limited",
            ]),
          },
        },
      },
      "/v1/actions/{action_id}": {
        get: {
          operationId: "getAction",
          summary: "an action's state and, once completed, its output",
          parameters: [pathId("action_id", "the action id")],
          responses: {
            "200": { description: "the action", content: json(ref("ActionView")) },
            ...problems(["not_found", ...READ_ERRORS]),
          },
        },
      },
      "/v1/events": {
        get: {
          operationId: "events",
          summary: "audit events as Server-Sent Events (id: seq, event: type, data: Event JSON)",
          parameters: [
            ...queryParams(EventsQuery),
            {
              name: "Last-Event-ID",
              in: "header",
              required: false,
              description: "resume after this seq (wins over after)",
              schema: { type: "string", pattern: "^\\d{1,15}$" },
            },
          ],
          responses: {
            "200": {
              description: "an endless text/event-stream; each data line is an Event",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            ...problems(["invalid_argument", ...READ_ERRORS]),
          },
        },
      },
      "/v1/audit/verify": {
        get: {
          operationId: "auditVerify",
          summary: "the audit hash chain, checked incrementally by this server",
          responses: {
            "200": { description: "chain status", content: json(ref("AuditStatus")) },
            ...problems(READ_ERRORS),
          },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "this document",
          security: [],
          responses: {
            "200": { description: "OpenAPI 3.1", content: json({ type: "object" }) },
          },
        },
      },
      "/": {
        get: {
          operationId: "inbox",
          summary: "the approver's inbox (HTML page; its scripts are under /inbox/)",
          security: [],
          responses: {
            "200": {
              description: "the page",
              content: { "text/html": { schema: { type: "string" } } },
            },
          },
        },
      },
    },
    webhooks: {
      event: {
        post: {
          operationId: "webhookEvent",
          summary: "what warrant posts to notify.webhook_url for each approver-facing event " +
            "(Standard Webhooks headers when notify.webhook_secret_env is set)",
          requestBody: { required: true, content: json(ref("WebhookEvent")) },
          responses: { "200": { description: "received (any 2xx; otherwise retried)" } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "the value of the env var named by http.token_env",
        },
      },
      schemas: {
        Health: schemaOf(HealthSchema),
        RequestView: schemaOf(RequestViewSchema),
        RequestList: schemaOf(RequestListSchema),
        ResolutionResult: schemaOf(ResolutionResultSchema),
        Resolution: schemaOf(resolutionSchema(), "input"),
        ActionView: schemaOf(ActionViewSchema),
        AuditStatus: schemaOf(AuditStatusSchema),
        Event: schemaOf(EventJsonSchema),
        WebhookEvent: schemaOf(WebhookEventSchema),
        Problem: schemaOf(ProblemSchema),
      },
    },
  };
}
