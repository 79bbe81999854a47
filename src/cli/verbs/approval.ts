/**
 * `warrant pending`, `show`, `approve`, `deny`: what a human approver uses.
 * approve/deny print what is being approved, sign a resolution with the
 * approver's key, and submit it to the local store or an HTTP endpoint.
 */
import { resolve } from "node:path";
import { submitResolution, tallyOf } from "../../app/approval-service.ts";
import type { ApprovalRequestRecord } from "../../core/records.ts";
import { buildResolution, signResolution } from "../../core/approval/request.ts";
import { bytesEqual } from "../../core/base64.ts";
import { WarrantError } from "../../core/errors.ts";
import { parsePublicKey } from "../../core/keys.ts";
import { readSecretKey } from "../key-files.ts";
import { durationMs } from "../../core/policy/schema.ts";
import { EXIT, flagString, printJson, requireFlag, UsageError } from "../io.ts";
import type { CliIO, ParsedArgs, Verb } from "../io.ts";
import type { Opened } from "../../app/ports/runtime.ts";
import { describeRequest, requestView } from "../../app/request-view.ts";
import type { RequestView } from "../../protocol/http-views.ts";

/** The config path: --config, else $WARRANT_CONFIG, else ./warrant.json. */
export function configPath(args: ParsedArgs, io: CliIO): string {
  return flagString(args, "config") ?? io.env.WARRANT_CONFIG ?? "warrant.json";
}

const CONFIG_FLAG = { config: { type: "string" as const } };

export const pendingVerb: Verb = {
  name: "pending",
  summary: "list approval requests still waiting for approvers",
  help: `warrant pending — list held actions waiting for approval

Usage: warrant pending [--config FILE] [--state pending|approved|rejected|expired]
                       [--json | --table]

On a terminal: an aligned table (request, tool, arguments, quorum so far,
deadline, action). Piped, or with --json: one JSON document {"items": [...]},
the same request views as GET /v1/approvals. --table forces the table.

Example:
  warrant pending --config warrant.json
  warrant pending --json | jq -r '.items[].request_id'`,
  flags: { ...CONFIG_FLAG, state: { type: "string" }, table: { type: "boolean" } },
  async run(args, io) {
    const state = (flagString(args, "state") ?? "pending") as ApprovalRequestRecord["state"];
    if (!["pending", "approved", "rejected", "expired"].includes(state)) {
      throw new UsageError(
        `--state must be pending, approved, rejected or expired, not "${state}"`,
      );
    }
    const env = io.runtime.open(configPath(args, io), io, { policy: true, readOnly: true });
    try {
      const reqs = env.store.listRequests({ state, limit: 1000 });
      const views = reqs.map((r) => requestView(env, r));
      const table = args.flags.table === true || (io.stdoutIsTTY === true && !args.flags.json);
      if (!table) printJson(io, { items: views });
      else if (views.length === 0) io.out(`no ${state} requests`);
      else for (const line of pendingTable(views, env.clock.now())) io.out(line);
      return EXIT.ok;
    } finally {
      await env.close();
    }
  },
};

export const showVerb: Verb = {
  name: "show",
  summary: "show an action or approval request, its quorum and its history",
  help: `warrant show — an action (act_…) or approval request (req_…), with its history

Usage: warrant show ID [--config FILE] [--json]

Example:
  warrant show req_01jd8x… --config warrant.json`,
  flags: CONFIG_FLAG,
  async run(args, io) {
    const id = args.positionals[0];
    if (!id) throw new UsageError("missing ID (an action id act_… or a request id req_…)");
    const env = io.runtime.open(configPath(args, io), io, { policy: true, readOnly: true });
    try {
      const req = env.store.getRequest(id);
      const action = req ? env.store.getAction(req.action_id) : env.store.getAction(id);
      if (!action) {
        throw new WarrantError(
          "not_found",
          `no action or request "${id}" in ${env.store.path}`,
        );
      }
      const request = req ?? (action.request_id ? env.store.getRequest(action.request_id) : null);
      const history = env.store.events({ actionId: action.id, limit: 1000 });
      if (args.flags.json) {
        printJson(io, { action, request: request ? requestView(env, request) : null, history });
        return EXIT.ok;
      }
      io.out(`action   ${action.id}  ${action.state}${action.kind ? ` (${action.kind})` : ""}`);
      io.out(`tool     ${action.tool}  args ${JSON.stringify(action.args)}`);
      io.out(`session  ${action.session_id}  origin ${action.origin}`);
      if (action.via) io.out(`via      ${action.via.replace(/^mcp /, "MCP proxy, upstream ")}`);
      if (action.reason) io.out(`reason   ${action.reason}`);
      if (action.rules.length > 0) io.out(`rules    ${action.rules.join(", ")}`);
      if (action.state === "completed") io.out(`output   ${JSON.stringify(action.output)}`);
      if (request) io.out(describeRequest(env, request, true));
      io.out("history");
      for (const e of history) io.out(`  #${e.seq} ${new Date(e.at).toISOString()} ${e.type}`);
      return EXIT.ok;
    } finally {
      await env.close();
    }
  },
};

function resolutionVerb(decision: "approve" | "deny"): Verb {
  return {
    name: decision,
    summary: decision === "approve"
      ? "sign and submit an approval of a held action"
      : "sign and submit a denial of a held action",
    help:
      `warrant ${decision} — sign a resolution (${decision}) for an approval request and submit it

Usage: warrant ${decision} REQUEST_ID --key KEYFILE [--as APPROVER] [--reason TEXT]
                       [--expires-in 15m] [--config FILE | --endpoint URL] [--json]

Prints what is being ${
        decision === "approve" ? "approved" : "denied"
      } (tool, arguments, rules, digest) first, and
refuses when the request is closed. --as names the approver for a PEM key
(warrant key files carry their id). --endpoint posts to a warrant HTTP
endpoint instead of writing to the local store; when that server has a read
token (http.token_env), put it in WARRANT_HTTP_TOKEN.

Environment:
  WARRANT_CONFIG       the config when --config is not given (else ./warrant.json)
  WARRANT_HTTP_TOKEN   the bearer token for --endpoint

Example:
  warrant ${decision} req_01jd8x… --key alice.key --config warrant.json${
        decision === "deny" ? ' --reason "not this vendor"' : ""
      }`,
    flags: {
      ...CONFIG_FLAG,
      key: { type: "string" },
      as: { type: "string" },
      reason: { type: "string" },
      "expires-in": { type: "string" },
      endpoint: { type: "string" },
    },
    run: (args, io) => resolve_(decision, args, io),
  };
}

async function resolve_(
  decision: "approve" | "deny",
  args: ParsedArgs,
  io: CliIO,
): Promise<number> {
  const requestId = args.positionals[0];
  if (!requestId) throw new UsageError("missing REQUEST_ID (see warrant pending)");
  const keyFile = resolve(io.cwd, requireFlag(args, "key", "the approver's key file"));
  const key = readSecretKey(io.runtime.files, keyFile, io.cwd);
  const approver = flagString(args, "as") ?? key.id;
  if (!approver) throw new UsageError(`${keyFile} is a PEM key: name the approver with --as NAME`);
  const ttl = durationMs(flagString(args, "expires-in") ?? "15m");
  const reason = flagString(args, "reason");
  const endpoint = flagString(args, "endpoint");
  if (endpoint) {
    const { submitOverHttp } = await import("../http-submit.ts");
    return submitOverHttp({
      endpoint,
      requestId,
      decision,
      approver,
      secret: key.secret,
      ttl,
      reason,
      io,
      json: !!args.flags.json,
    });
  }
  const env = io.runtime.open(configPath(args, io), io, { policy: true });
  try {
    return await submitLocal(
      env,
      { requestId, decision, approver, secret: key.secret, publicKey: key.publicKey, ttl, reason },
      io,
      !!args.flags.json,
    );
  } finally {
    await env.close();
  }
}

async function submitLocal(
  env: Opened,
  o: {
    requestId: string;
    decision: "approve" | "deny";
    approver: string;
    secret: Uint8Array;
    publicKey: Uint8Array;
    ttl: number;
    reason?: string | undefined;
  },
  io: CliIO,
  json: boolean,
): Promise<number> {
  const req = env.store.getRequest(o.requestId);
  if (!req) {
    throw new WarrantError(
      "request_not_found",
      `no approval request "${o.requestId}" in ${env.store.path}; see warrant pending`,
    );
  }
  if (!json) {
    // What is being signed, as it stands before this signature (the result follows on stdout).
    io.err(`${o.decision === "approve" ? "Approving" : "Denying"}, as ${o.approver}:`);
    io.err(describeRequest(env, req, true).replace(/^/gm, "  "));
  }
  if (req.state !== "pending") {
    throw new WarrantError(
      "request_closed",
      `request ${req.id} is already ${req.state}; nothing to ${o.decision}`,
    );
  }
  const policy = env.policy!.current;
  const entry = policy.approvers.get(o.approver);
  if (entry && !bytesEqual(parsePublicKey(entry.key), o.publicKey)) {
    throw new WarrantError(
      "approver_unknown",
      `the key does not belong to approver "${o.approver}" in policy ${policy.id} v${policy.version}; use ${o.approver}'s own key file`,
    );
  }
  const now = env.clock.now();
  const doc = signResolution(
    buildResolution({
      request: req,
      approver: o.approver,
      decision: o.decision,
      issuedAt: now,
      expiresAt: now + o.ttl,
      nonce: env.ids.random(16),
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
    }),
    o.secret,
  );
  const r = await submitResolution(
    {
      store: env.store,
      clock: env.clock,
      logger: env.logger,
      policy: () => env.policy!.current,
    },
    JSON.stringify(doc),
    req.id,
  );
  if (r.status === "refused") throw new WarrantError(r.code, r.message);
  const after = env.store.getRequest(req.id)!;
  const already =
    env.store.listResolutions(req.id).filter((x) => x.approver === o.approver).length > 1;
  if (json) printJson(io, { status: r.status, repeat: already, request: requestView(env, after) });
  else {
    if (already) {
      io.out(`note: ${o.approver} had already resolved this request; an approver counts once`);
    }
    io.out(
      `${
        o.decision === "approve" ? "approved" : "denied"
      } by ${o.approver}: request ${after.id} is now ${after.state}`,
    );
    for (const p of tallyOf(env.store, after, policy).progress) {
      io.out(
        `  rule ${p.rule}: ${p.keys}/${p.quorum} (${p.roles.join("|")})${
          p.approvers.length ? ` — ${p.approvers.join(", ")}` : ""
        }${p.note ? ` (${p.note})` : ""}`,
      );
    }
    const next = nextStep(env, after);
    if (next) io.out(`next: ${next}`);
  }
  return EXIT.ok;
}

/** "in 14m", "3h ago": a deadline as a person reads it. */
function relative(ms: number, now: number): string {
  const d = Math.abs(ms - now);
  const n = d < 60_000
    ? `${Math.round(d / 1000)}s`
    : d < 3_600_000
    ? `${Math.round(d / 60_000)}m`
    : d < 172_800_000
    ? `${Math.round(d / 3_600_000)}h`
    : `${Math.round(d / 86_400_000)}d`;
  return ms >= now ? `in ${n}` : `${n} ago`;
}

/** The pending table: aligned columns, long arguments cut. */
export function pendingTable(views: RequestView[], now: number): string[] {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const rows = views.map((v) => [
    v.request_id,
    v.state,
    v.tool,
    cut(JSON.stringify(v.args), 40),
    (v.quorum?.progress ?? v.requirements.map((q) => ({ ...q, keys: 0 }))).map((p) =>
      `${p.keys}/${p.quorum} ${p.roles.join("|")}`
    ).join(" + "),
    `${v.deadline.slice(0, 16).replace("T", " ")}Z (${relative(Date.parse(v.deadline), now)})`,
    v.action_id,
  ]);
  const head = ["REQUEST", "STATE", "TOOL", "ARGS", "APPROVALS", "DEADLINE", "ACTION"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(head), ...rows.map(line)];
}

/** What happens now to a request's action, and who makes it happen (README "Using it", step 6). */
function nextStep(env: Opened, r: { state: string; action_id: string }): string | null {
  const action = env.store.getAction(r.action_id);
  if (!action) return null;
  if (r.state === "approved") {
    return action.origin === "declared"
      ? `run it exactly once with: warrant resume ${action.id} --config ${env.config.file}`
      : `the agent runs it when its hook resumes action ${action.id} (from a gate session that ` +
        `registered ${action.tool}); while the session that proposed it is running, ` +
        `warrant resume ${action.id} also asks it to run it`;
  }
  if (r.state === "pending") return "more approvals are needed (see warrant pending)";
  return null;
}

export const approvalVerbs: Verb[] = [
  pendingVerb,
  showVerb,
  resolutionVerb("approve"),
  resolutionVerb("deny"),
];
