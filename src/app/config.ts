/**
 * `warrant.json`: the strict schema, and the one function that turns a
 * file's text into a resolved Config (relative paths made absolute against
 * the config file's folder). Pure: the caller reads the file.
 */
import * as z from "zod/mini";
import { parseJsonStrict } from "../core/canonical-json.ts";
import { isWarrantError, WarrantError } from "../core/errors.ts";
import { closest } from "../core/suggest.ts";
import { zodMessages } from "../core/zod-messages.ts";

// zod's "mini" build: the same checks and messages as the classic API, but a
// schema is a plain object rather than one carrying ~50 bound methods, which
// is most of what building this schema cost at every start (~3x less).
zodMessages();

const int = (min: number, max?: number) =>
  max === undefined
    ? z.number().check(z.int(), z.minimum(min))
    : z.number().check(z.int(), z.minimum(min), z.maximum(max));
const duration = z.number().check(z.int(), z.positive());
const envName = () => z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/));
const nonEmpty = () => z.string().check(z.minLength(1));
const PUBLIC_KEY = /^ed25519:[A-Za-z0-9+/]{43}=$/;

const ConfigSchema = z.strictObject({
  project: z.string().check(z.minLength(1), z.maxLength(128)),
  store: z._default(
    z.strictObject({
      path: z._default(nonEmpty(), ".warrant/warrant.db"),
      encryption_key_env: z.optional(envName()),
      synchronous: z._default(z.enum(["full", "normal"]), "full"),
      /** How long a writer waits its turn behind other processes before store_busy. */
      busy_timeout_ms: z._default(int(0, 600_000), 30_000),
      /**
       * One store shared by gates and servers on several machines
       * (docs/postgres.md). The URL is read from the variable `url_env`, never
       * from this file, and is redacted in every message.
       */
      postgres: z.optional(z.strictObject({
        url_env: z._default(envName(), "WARRANT_DATABASE_URL"),
        schema: z._default(
          z.string().check(z.regex(
            /^[a-z_][a-z0-9_]{0,62}$/,
            "must be a plain lowercase identifier (letters, digits, _)",
          )),
          "warrant",
        ),
      })),
    }),
    { path: ".warrant/warrant.db", synchronous: "full", busy_timeout_ms: 30_000 },
  ),
  policy: z.strictObject({
    file: nonEmpty(),
    allow_unsigned: z._default(z.boolean(), false),
  }),
  trust: z._default(
    z.strictObject({
      policy_signers: z._default(
        z.array(z.strictObject({
          id: z.string().check(z.minLength(1), z.maxLength(64)),
          public_key: z.string().check(z.regex(
            PUBLIC_KEY,
            "must be ed25519: followed by the base64 of 32 bytes",
          )),
        })),
        [],
      ),
      policy_threshold: z._default(int(1), 1),
    }),
    { policy_signers: [], policy_threshold: 1 },
  ),
  gate: z._default(
    z.strictObject({
      tool_exec_timeout_ms: z._default(duration, 120_000),
      default_hold_timeout_ms: z._default(duration, 900_000),
      max_line_bytes: z._default(int(1024, 64 * 1024 * 1024), 1024 * 1024),
      heartbeat_ms: z._default(duration, 1000),
    }),
    {
      tool_exec_timeout_ms: 120_000,
      default_hold_timeout_ms: 900_000,
      max_line_bytes: 1024 * 1024,
      heartbeat_ms: 1000,
    },
  ),
  http: z._default(
    z.strictObject({
      listen: z._default(
        z.string().check(
          z.regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, "must be HOST:PORT"),
        ),
        "127.0.0.1:8787",
      ),
      token_env: z.optional(envName()),
      /** The inbox's address as approvers reach it (links in webhooks); default the bound URL. */
      public_url: z.optional(z.url({ protocol: /^https?$/ })),
      /**
       * Event replays (`/v1/events` behind the head) may send at most this
       * many megabytes per second between them; 0: no limit.
       */
      replay_mb_per_s: z.optional(z.number().check(z.minimum(0), z.maximum(100_000))),
    }),
    { listen: "127.0.0.1:8787" },
  ),
  /** Signed checkpoints of the audit chain in a witness outside the store (issue 9). */
  audit: z.optional(z.strictObject({
    /** A key file made by `warrant keygen`: signs the checkpoints. */
    checkpoint_key: nonEmpty(),
    /** A directory outside the store's folder, which the agent cannot write. */
    witness: nonEmpty(),
    checkpoint_interval_ms: z._default(int(10, 3_600_000), 1000),
  })),
  notify: z.optional(z.strictObject({
    jsonl: z.optional(nonEmpty()),
    webhook_url: z.optional(z.url()),
    /** Env var holding the whsec_ secret that signs webhooks (Standard Webhooks). */
    webhook_secret_env: z.optional(envName()),
  })),
  mcp: z._default(
    z.strictObject({
      /** Prefixed to an MCP tool's name to give the tool name the policy sees. */
      tool_prefix: z._default(z.string().check(z.maxLength(64)), ""),
      /** Leave out of tools/list the tools the policy always denies. */
      hide_denied: z._default(z.boolean(), false),
      /** How long a held tools/call waits for approval before answering. */
      hold_wait_ms: z._default(int(0, 3_600_000), 0),
      /** Variable holding the bearer token sent to a --url upstream. */
      upstream_token_env: z.optional(envName()),
      /** Variable holding the bearer token MCP clients must send to --listen (default: http.token_env). */
      listen_token_env: z.optional(envName()),
      /** Origins (scheme://host:port) allowed to call --listen besides loopback ones. */
      allowed_origins: z._default(z.array(nonEmpty()), []),
    }),
    { tool_prefix: "", hide_denied: false, hold_wait_ms: 0, allowed_origins: [] },
  ),
  tools: z._default(
    z.record(
      z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,128}$/)),
      z.strictObject({
        command: z.array(z.string()).check(z.minLength(1)),
        timeout_ms: z.optional(duration),
        cwd: z.optional(z.string()),
        /** Variables passed through beyond PATH, HOME, LANG, TZ, WARRANT_ACTION_ID. */
        env: z._default(z.array(envName()).check(z.maxLength(64)), []),
        /** Let an argument that begins with "-" fill a placeholder (off: it could pass as an option). */
        allow_dash_args: z._default(z.boolean(), false),
      }),
    ),
    {},
  ),
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** Absolute path of the config file. */
  file: string;
  /** Absolute folder of the config file (relative paths resolve here). */
  dir: string;
};

/** Resolve `p` against `dir` unless absolute (POSIX and Windows drive forms). */
export function resolvePath(dir: string, p: string): string {
  if (p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p)) return p;
  const parts = `${dir}/${p}`.split("/");
  const out: string[] = [];
  for (const part of parts) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return `${dir.startsWith("/") ? "/" : ""}${out.join("/")}`;
}

function jsonPath(path: PropertyKey[]): string {
  let s = "";
  for (const k of path) {
    if (typeof k === "number") s += `[${k}]`;
    else s += s === "" ? String(k) : `.${String(k)}`;
  }
  return s === "" ? "(top level)" : s;
}

function fixFor(path: string, code: string): string {
  if (code === "unrecognized_keys") {
    return "remove the field (README.md, Configuration, lists the fields warrant knows)";
  }
  if (path.startsWith("trust.policy_signers")) {
    return 'use {"id": "ops", "public_key": "ed25519:BASE64"} as printed by warrant keygen';
  }
  if (path === "policy.file") return 'set "policy": {"file": "policies/NAME.policy.json"}';
  if (path === "project") return 'set "project": "your-project-name"';
  return "correct the value";
}

/** The field names the schema allows at `path` (for "did you mean"). */
function knownKeys(path: PropertyKey[]): string[] {
  // deno-lint-ignore no-explicit-any
  let node: any = ConfigSchema;
  for (const k of path) {
    while (node?.def?.innerType) node = node.def.innerType; // .default() / .optional()
    if (node?.shape && typeof k === "string") node = node.shape[k];
    else if (node?.def?.valueType) node = node.def.valueType; // records
    else return [];
  }
  while (node?.def?.innerType) node = node.def.innerType;
  return node?.shape ? Object.keys(node.shape) : [];
}

/**
 * Parse and validate a config file's text. Throws WarrantError
 * ("config_invalid") with one line naming the file, the JSON path and the fix.
 *
 * @example parseConfig('{"project":"acme","policy":{"file":"p.json"}}', "/srv/warrant.json")
 */
export function parseConfig(text: string, file: string): Config {
  let raw: unknown;
  try {
    raw = parseJsonStrict(text);
  } catch (e) {
    throw new WarrantError(
      "config_invalid",
      `Cannot load config ${file}: ${(e as Error).message}; fix the syntax there`,
      isWarrantError(e) ? e.details : undefined,
    );
  }
  if (
    raw !== null && typeof raw === "object" && "project_id" in raw && !("project" in raw)
  ) {
    throw new WarrantError(
      "config_invalid",
      `Cannot load config ${file}: this is a Lodestar runtime-gate config (project_id, actor_id, ` +
        `default_scope), not a warrant.json; translate it with: warrant import lodestar --config ${file}`,
    );
  }
  // Parsed once per process: interpreting the schema costs less than
  // compiling zod's fast path for it (a few ms of every gate start).
  const r = ConfigSchema.safeParse(raw, { jitless: true });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    let path = jsonPath(issue.path);
    let msg = issue.message;
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as { keys: string[] }).keys;
      path = jsonPath([...issue.path, keys[0]!]);
      const near = closest(keys[0]!, knownKeys(issue.path));
      msg = `unknown field "${keys[0]}"${near ? ` (did you mean "${near}"?)` : ""}`;
      if (near) {
        throw new WarrantError(
          "config_invalid",
          `Cannot load config ${file}: ${path}: ${msg}; rename it`,
          { path },
        );
      }
    } else if (issue.code === "invalid_type" && issue.path.length > 0 && raw !== null) {
      // A required section reported missing next to an unknown one: name the typo.
      const parent = issue.path.slice(0, -1).reduce<unknown>(
        (o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k as string],
        raw,
      );
      const missing = String(issue.path[issue.path.length - 1]);
      if (parent && typeof parent === "object" && !(missing in parent)) {
        const typo = Object.keys(parent).find((k) => closest(k, [missing]) === missing);
        if (typo) {
          throw new WarrantError(
            "config_invalid",
            `Cannot load config ${file}: ${
              jsonPath([...issue.path.slice(0, -1), typo])
            }: unknown field "${typo}" (did you mean "${missing}"?); rename it`,
            { path: jsonPath([...issue.path.slice(0, -1), typo]) },
          );
        }
      }
    }
    throw new WarrantError(
      "config_invalid",
      `Cannot load config ${file}: ${path}: ${msg}; ${fixFor(path, issue.code)}`,
      { path },
    );
  }
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) || "/" : ".";
  const c = r.data;
  const threshold = c.trust.policy_threshold;
  if (!c.policy.allow_unsigned && c.trust.policy_signers.length < threshold) {
    throw new WarrantError(
      "config_invalid",
      `Cannot load config ${file}: trust.policy_signers has ${c.trust.policy_signers.length} signer(s) but ` +
        `trust.policy_threshold is ${threshold}; add the operators' public keys (warrant keygen prints them) ` +
        `or set policy.allow_unsigned: true for development`,
      { path: "trust.policy_signers" },
    );
  }
  const ids = new Set<string>();
  for (const [i, s] of c.trust.policy_signers.entries()) {
    if (ids.has(s.id)) {
      throw new WarrantError(
        "config_invalid",
        `Cannot load config ${file}: trust.policy_signers[${i}].id: duplicate signer id "${s.id}"; give each signer a distinct id`,
      );
    }
    ids.add(s.id);
  }
  // policy_threshold counts distinct signers; one key under two ids would count twice.
  const byKey = new Map<string, string>();
  for (const [i, s] of c.trust.policy_signers.entries()) {
    const first = byKey.get(s.public_key);
    if (first !== undefined) {
      throw new WarrantError(
        "config_invalid",
        `Cannot load config ${file}: trust.policy_signers[${i}].public_key: signers "${first}" and ` +
          `"${s.id}" have the same public key; policy_threshold counts distinct keys, so list each ` +
          `signer's own key once`,
        { path: `trust.policy_signers[${i}].public_key` },
      );
    }
    byKey.set(s.public_key, s.id);
  }
  const tools: Config["tools"] = Object.create(null);
  for (const [name, t] of Object.entries(c.tools)) {
    tools[name] = { ...t, ...(t.cwd ? { cwd: resolvePath(dir, t.cwd) } : {}) };
  }
  const storePath = resolvePath(dir, c.store.path);
  let audit = c.audit;
  if (audit) {
    audit = {
      ...audit,
      checkpoint_key: resolvePath(dir, audit.checkpoint_key),
      witness: resolvePath(dir, audit.witness),
    };
    // The witness is what a copy or an edit of the store cannot change: kept
    // next to the store, it would be copied, restored or deleted with it.
    const storeDir = storePath.slice(0, storePath.lastIndexOf("/")) || "/";
    const w = audit.witness.replace(/\/+$/, "");
    if (w === storeDir || w.startsWith(`${storeDir}/`)) {
      throw new WarrantError(
        "config_invalid",
        `Cannot load config ${file}: audit.witness ${w} is the store's folder or inside it ` +
          `${storeDir}; put the witness in a folder the agent cannot write, outside the store's`,
        { path: "audit.witness" },
      );
    }
  }
  return {
    ...c,
    ...(audit ? { audit } : {}),
    tools,
    store: { ...c.store, path: storePath },
    policy: { ...c.policy, file: resolvePath(dir, c.policy.file) },
    ...(c.notify?.jsonl
      ? { notify: { ...c.notify, jsonl: resolvePath(dir, c.notify.jsonl) } }
      : {}),
    file,
    dir,
  };
}

/**
 * Where the store is, as the audit verbs and messages name it: the SQLite
 * file, or `postgres:URL_ENV/SCHEMA` (the variable holding the URL, never
 * the URL itself).
 */
export function storeLocator(config: Config): string {
  const pg = config.store.postgres;
  return pg ? `postgres:${pg.url_env}/${pg.schema}` : config.store.path;
}

/** Sessions whose heartbeat is older than this are dead (10 heartbeats, at least 10 s). */
export function staleAfterMs(config: Config): number {
  return Math.max(10 * config.gate.heartbeat_ms, 10_000);
}
