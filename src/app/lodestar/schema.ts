/**
 * Lodestar's formats, as `warrant import lodestar` reads them: the runtime
 * gate's `RuntimeGateConfig` and its policy document (lodestar v0.5.0). The
 * schemas mirror Lodestar's own validation (non-strict top level, strict
 * approval channels, the same defaults and cross-field rules), so a file
 * Lodestar accepts is read here and one it refuses is refused with the same
 * reason. Pure: the caller reads the files.
 */
import { z } from "zod";
import { WarrantError } from "../../core/errors.ts";

export const SENSITIVITIES = ["public", "internal", "confidential", "secret"] as const;
export const BLAST_RADII = ["self", "session", "project", "external"] as const;
export const REVERSIBILITIES = ["reversible", "compensable", "irreversible"] as const;
const SCOPE_LEVELS = ["global", "organization", "user", "project", "repo", "session"] as const;

const Scope = z.object({ level: z.enum(SCOPE_LEVELS), identifier: z.string() });
export type LodestarScope = z.infer<typeof Scope>;

const ToolDefaults = z.object({
  reversibility: z.enum(REVERSIBILITIES),
  permissions: z.array(
    z.enum(["fs.read", "fs.write", "shell.exec", "network.egress", "secret.sign"]),
  ).default([]),
  sandbox: z.enum([
    "read",
    "write-isolated",
    "write-local",
    "controlled-shell",
    "controlled-network",
  ]),
  required_trust_level: z.number().int().min(0).max(5),
  blast_radius: z.enum(BLAST_RADII).default("self"),
});
export type LodestarToolDefaults = z.infer<typeof ToolDefaults>;

const HttpChannel = z.strictObject({
  kind: z.literal("http"),
  endpoint: z.url(),
  token_env: z.string().min(1).optional(),
  allow_http: z.boolean().default(false),
  timeout_ms: z.number().int().positive().default(15_000),
  max_body_bytes: z.number().int().positive().default(65_536),
  announce_sensitivity_ceiling: z.enum(SENSITIVITIES).default("internal"),
});

export const LodestarConfigSchema = z.object({
  project_id: z.string().min(1).refine((s) => s !== "project-stub", '"project-stub" is rejected'),
  actor_id: z.string().min(1),
  session_id: z.string().min(1).refine((s) => s !== "session-stub", '"session-stub" is rejected'),
  log_root: z.string().default(".lodestar/events"),
  default_scope: Scope,
  default_sensitivity: z.enum(SENSITIVITIES).default("internal"),
  auto_approve_ceiling: z.number().int().min(0).max(3).default(2),
  policy: z.object({ file: z.string().min(1), allow_unsigned: z.boolean().default(false) })
    .optional(),
  sentinels: z.array(z.string()).optional(),
  approval_timeout_ms: z.number().int().min(0).default(0),
  approvals: z.object({
    authorized_keys: z.array(
      z.object({ actor_id: z.string().min(1), public_key: z.string().min(1) }),
    ).default([]),
    allow_unsigned: z.boolean().default(false),
    channel: z.union([z.strictObject({ kind: z.literal("file") }), HttpChannel]).optional(),
  }).default({ authorized_keys: [], allow_unsigned: false }),
  tool_exec_timeout_ms: z.number().int().min(0).default(120_000),
  tool_defaults: z.record(z.string(), ToolDefaults).default({}),
  persistence: z.union([
    z.object({ backend: z.literal("memory") }),
    z.object({ backend: z.literal("postgres"), connection_string_env: z.string().min(1) }),
  ]).optional(),
});
export type LodestarConfig = z.infer<typeof LodestarConfigSchema>;

const RequiredAuthority = z.object({
  min_trust_baseline: z.number().min(0).max(1).optional(),
  sensitivity_clearance: z.enum(SENSITIVITIES).optional(),
  scope: Scope.optional(),
});

const Match = z.object({
  tool: z.string().optional(),
  max_blast_radius: z.enum(BLAST_RADII).optional(),
  reversibility: z.array(z.enum(REVERSIBILITIES)).min(1).optional(),
  scope: Scope.optional(),
  data_sensitivity: z.enum(["public", "private", "secret"]).optional(),
  required_level_lte: z.number().int().min(0).max(5).optional(),
});
export type LodestarMatch = z.infer<typeof Match>;

const Rule = z.object({
  match: Match,
  effect: z.enum(["allow", "deny", "require_approval"]),
  approval: z.object({ required_authority: RequiredAuthority.optional() }).optional(),
  reason: z.string().min(1),
}).refine((r) => r.approval === undefined || r.effect === "require_approval", {
  message: "approval is allowed only when effect is require_approval",
});
export type LodestarRule = z.infer<typeof Rule>;

export const LodestarPolicySchema = z.object({
  id: z.string().min(1),
  version: z.string().min(1),
  rules: z.array(Rule),
  signature: z.looseObject({ signer_id: z.string(), payload_hash: z.string() }).optional(),
  signed_by: z.string().min(1).optional(),
});
export type LodestarPolicy = z.infer<typeof LodestarPolicySchema>;

/** The top-level keys Lodestar's config knows (others are stripped by Lodestar, and reported here). */
export const LODESTAR_CONFIG_KEYS = Object.keys(LodestarConfigSchema.shape);

function where(path: PropertyKey[]): string {
  return path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("")
    .replace(/^\./, "") || "(top level)";
}

/**
 * Parse a Lodestar document with `schema`; throws config_invalid naming the
 * file, the JSON path and Lodestar's own reason (the same file would not
 * start Lodestar either).
 */
export function parseLodestar<T>(schema: z.ZodType<T>, raw: unknown, file: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new WarrantError(
    "config_invalid",
    `Cannot import ${file}: ${
      where(i.path)
    }: ${i.message} (Lodestar refuses this file too); fix it first`,
    { path: where(i.path) },
  );
}

/** Lodestar's cross-field rules (schema superRefine), checked before translating. */
export function lodestarCrossFieldProblems(c: LodestarConfig): string[] {
  const out: string[] = [];
  const pinned = c.approvals.authorized_keys.length > 0;
  if ((c.sentinels?.length ?? 0) > 0 && !c.policy) out.push("sentinels require a policy");
  if (c.approval_timeout_ms > 0 && !pinned && c.approvals.allow_unsigned !== true) {
    out.push(
      "approval_timeout_ms > 0 with no authorized_keys and allow_unsigned false (unauthenticated approval gap)",
    );
  }
  if (c.approvals.channel?.kind === "http" && (!pinned || c.approvals.allow_unsigned)) {
    out.push("the http approval channel requires a pinned key and forbids allow_unsigned");
  }
  return out;
}
