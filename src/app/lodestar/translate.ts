/**
 * Lodestar RuntimeGateConfig (+ its policy) → warrant.json + a warrant
 * policy, unsigned, for review; and a report of what has no equivalent and
 * why. Pure: the verb (cli/verbs/import.ts) reads and writes the files.
 */
import { WarrantError } from "../../core/errors.ts";
import { formatPublicKey, parsePublicKey } from "../../core/keys.ts";
import { lodestarVerdict, reachesUndeclaredTools } from "./evaluate.ts";
import type { ToolVerdict, VerdictSource } from "./evaluate.ts";
import type { LodestarConfig, LodestarPolicy, LodestarRule } from "./schema.ts";
import { LODESTAR_CONFIG_KEYS } from "./schema.ts";

/** One line of the import report. */
export interface ReportItem {
  /** The Lodestar field (JSON path) it is about. */
  field: string;
  /** translated: has an equivalent; not_translated: dropped, with why; note: read this. */
  status: "translated" | "not_translated" | "note";
  detail: string;
}

export interface ImportInput {
  config: LodestarConfig;
  /** The config's raw top-level keys (Lodestar strips unknown ones; we report them). */
  rawKeys: string[];
  /** The policy `config.policy.file` names, parsed; null when the config has none (the preset). */
  policy: LodestarPolicy | null;
  /** Approver keys given on the command line (ed25519:BASE64 or SPKI PEM), added to the pinned ones. */
  extraApprovers: Array<{ id: string; key: string }>;
  /** The policy signer warrant.json trusts, if the operator named one. */
  signer: { id: string; public_key: string } | null;
}

export interface ImportResult {
  /** warrant.json, ready to write. */
  config: Record<string, unknown>;
  /** The warrant policy document (unsigned). */
  policy: Record<string, unknown>;
  /** Its file name relative to warrant.json's folder. */
  policyFile: string;
  verdicts: ToolVerdict[];
  report: ReportItem[];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A warrant name (policy id, approver id) for a Lodestar string: invalid characters become "-". */
export function warrantName(s: string): string {
  if (NAME_RE.test(s)) return s;
  const t = s.replace(/[^A-Za-z0-9._@-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 64);
  return t === "" ? "imported" : t;
}

/** A duration in warrant's notation for `ms` > 0, in the largest exact unit. */
export function durationText(ms: number): string {
  for (
    const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const
  ) {
    if (ms % size === 0 && ms / size < 1e9) return `${ms / size}${unit}`;
  }
  return ms < 1e9 ? `${ms}ms` : `${Math.ceil(ms / 1000)}s`;
}

function presetPolicy(ceiling: number): LodestarPolicy {
  return {
    id: "auto-approve",
    version: `ceiling-L${ceiling}`,
    rules: [{
      match: { required_level_lte: ceiling },
      effect: "allow",
      reason: `auto-approved at or below L${ceiling} (ceiling)`,
    }],
  };
}

function ruleId(s: VerdictSource): string {
  switch (s.kind) {
    case "rule":
      return `lodestar-rule-${s.index}`;
    case "l4_floor_over_allow":
      return `l4-floor-rule-${s.index}`;
    case "l4_floor":
      return "l4-floor";
    case "l5_floor":
      return "l5-floor";
    case "structural_default":
      return "structural-default";
  }
}

/** Translate; throws invalid_argument when holds need approvers and none is known. */
export function translateLodestar(input: ImportInput): ImportResult {
  const { config: c } = input;
  const report: ReportItem[] = [];
  const note = (field: string, status: ReportItem["status"], detail: string) =>
    report.push({ field, status, detail });

  for (const k of input.rawKeys) {
    if (!LODESTAR_CONFIG_KEYS.includes(k)) {
      note(k, "not_translated", "not a Lodestar config field (Lodestar strips it silently too)");
    }
  }
  note("project_id", "translated", `project: ${JSON.stringify(c.project_id)}`);
  note(
    "actor_id",
    "not_translated",
    "warrant records each call's gate session and tool, not an actor name",
  );
  note(
    "session_id",
    c.session_id === "auto" ? "translated" : "note",
    c.session_id === "auto"
      ? 'warrant gives each gate process its own session id, like "auto"'
      : `warrant gives each gate process its own session id; a fixed id ("${c.session_id}") is not needed ` +
        "for holds to survive a restart: they are in the store, and a new gate resumes them",
  );
  note(
    "log_root",
    "not_translated",
    `Lodestar's NDJSON log in ${c.log_root} is not migrated; warrant records everything in its store ` +
      `(.warrant/warrant.db beside warrant.json, hash-chained: warrant audit verify); set notify.jsonl for a JSONL copy`,
  );

  const policy = input.policy ?? presetPolicy(c.auto_approve_ceiling);
  if (input.policy === null) {
    note(
      "auto_approve_ceiling",
      "translated",
      `no policy: Lodestar's preset (allow up to L${c.auto_approve_ceiling}, hold L4, deny L5 and anything else) ` +
        "is written out as rules",
    );
  } else {
    note(
      "policy.file",
      "translated",
      `policy ${JSON.stringify(policy.id)} v${policy.version}: ${policy.rules.length} rule(s)`,
    );
    if (c.auto_approve_ceiling !== 2) {
      note("auto_approve_ceiling", "not_translated", "Lodestar ignores it when a policy is set");
    }
    note(
      "policy.allow_unsigned",
      "note",
      'Lodestar\'s policy "signature" is a content hash anyone can recompute; warrant requires an ed25519 ' +
        "signature by a key in trust.policy_signers: review the translated policy, then sign it",
    );
  }

  const tools = Object.keys(c.tool_defaults).sort();
  const verdicts = tools.map((t) => lodestarVerdict(t, c.tool_defaults[t]!, policy.rules, c));
  for (const t of tools) {
    const d = c.tool_defaults[t]!;
    if (/[*?]/.test(t)) {
      throw new WarrantError(
        "invalid_argument",
        `tool_defaults.${t}: a tool name with * or ? cannot be named literally in a warrant policy; rename the tool`,
      );
    }
    note(
      `tool_defaults.${t}`,
      "translated",
      `L${d.required_trust_level}, ${d.blast_radius}, ${d.reversibility}: decided as ` +
        verdicts.find((v) => v.tool === t)!.effect,
    );
  }
  if (tools.length > 0) {
    note(
      "tool_defaults.*.sandbox",
      "not_translated",
      "sandbox and permissions are declarative metadata in Lodestar too (they never reach the policy); " +
        "the hook still runs its tools",
    );
  } else {
    note(
      "tool_defaults",
      "note",
      "empty: no tool has a known contract, so every tool is denied (as by Lodestar's structural default)",
    );
  }
  reportRules(policy.rules, verdicts, tools, note);

  // Approvers: the pinned keys, then the command line's.
  const approvers: Record<string, { key: string; roles: string[] }> = {};
  const addApprover = (id: string, key: string, field: string) => {
    try {
      parsePublicKey(key);
    } catch (e) {
      throw new WarrantError(
        "key_invalid",
        `${field}: ${(e as Error).message} (Lodestar refuses this key at start-up too)`,
      );
    }
    const name = warrantName(id);
    if (name !== id) note(field, "note", `approver "${id}" is named "${name}" in warrant`);
    approvers[name] = { key: formatPublicKey(parsePublicKey(key)), roles: ["approver"] };
  };
  c.approvals.authorized_keys.forEach((k, i) =>
    addApprover(k.actor_id, k.public_key, `approvals.authorized_keys[${i}]`)
  );
  if (c.approvals.authorized_keys.length > 0) {
    note(
      "approvals.authorized_keys",
      "translated",
      `${c.approvals.authorized_keys.length} approver key(s) → the policy's approvers, role "approver", quorum 1`,
    );
  }
  for (const a of input.extraApprovers) addApprover(a.id, a.key, `--approver ${a.id}`);
  if (c.approvals.allow_unsigned) {
    note(
      "approvals.allow_unsigned",
      "not_translated",
      "warrant never accepts an unsigned approval; approvers sign with their key (warrant approve --key)",
    );
  }
  const channel = c.approvals.channel;
  note(
    "approvals.channel",
    channel?.kind === "http" ? "not_translated" : "translated",
    channel?.kind === "http"
      ? `Lodestar polls ${channel.endpoint}; warrant serves approvals itself instead (warrant serve: ` +
        "POST /v1/approvals/REQUEST_ID/resolutions, signed), so point your approval tool there"
      : "the file side channel's role is played by warrant approve REQUEST_ID --key KEY (same store)",
  );

  const holdTimeout = c.approval_timeout_ms === 0 ? 0 : durationText(c.approval_timeout_ms);
  note(
    "approval_timeout_ms",
    "translated",
    c.approval_timeout_ms === 0
      ? "0 → hold_timeout: 0 (a hold is rejected at once: approval_required)"
      : `${c.approval_timeout_ms} → hold_timeout: "${holdTimeout}"`,
  );
  const holds = verdicts.filter((v) => v.effect === "hold");
  const approverCount = Object.keys(approvers).length;
  if (holds.length > 0 && c.approval_timeout_ms > 0 && approverCount === 0) {
    throw new WarrantError(
      "invalid_argument",
      `${holds.map((v) => v.tool).join(", ")} ${
        holds.length > 1 ? "are" : "is"
      } held for approval, ` +
        "but the config pins no approver key (approvals.allow_unsigned) and warrant only accepts signed " +
        "approvals: create a key (warrant keygen --id alice --out alice.key) and import again with " +
        "--approver alice=alice.key",
    );
  }
  if (c.sentinels?.length) {
    note(
      "sentinels",
      "not_translated",
      `${
        c.sentinels.join(", ")
      }: warrant has no sentinel arbiter; express what they guard as rules with "when" conditions on the arguments`,
    );
  }
  if (c.persistence) {
    note(
      "persistence",
      "not_translated",
      "the memory-firewall stores have no equivalent; warrant's store is SQLite",
    );
  }
  const execMs = c.tool_exec_timeout_ms === 0 ? 2_147_483_647 : c.tool_exec_timeout_ms;
  note(
    "tool_exec_timeout_ms",
    c.tool_exec_timeout_ms === 0 ? "note" : "translated",
    c.tool_exec_timeout_ms === 0
      ? "0 (unbounded) has no equivalent: gate.tool_exec_timeout_ms is set to the maximum, 2147483647 (~24.8 days)"
      : `gate.tool_exec_timeout_ms: ${execMs}`,
  );

  const rules = warrantRules(verdicts, policy.rules, approverCount > 0);
  const name = warrantName(policy.id);
  if (name !== policy.id) note("policy.id", "note", `policy "${policy.id}" is named "${name}"`);
  const version = /^[1-9][0-9]{0,14}$/.test(policy.version) ? Number(policy.version) : 1;
  if (String(version) !== policy.version) {
    note(
      "policy.version",
      "note",
      `"${policy.version}" is not an integer; warrant versions are integers that only go up: written as ${version}`,
    );
  }
  const policyFile = `policies/${name}.policy.json`;
  return {
    config: {
      project: c.project_id,
      policy: { file: policyFile },
      trust: { policy_signers: input.signer ? [input.signer] : [], policy_threshold: 1 },
      gate: { tool_exec_timeout_ms: execMs },
    },
    policy: {
      policy: name,
      version,
      description:
        `Translated by warrant import lodestar from Lodestar policy ${policy.id} v${policy.version} ` +
        `(project ${c.project_id}); review, then sign with warrant policy sign.`,
      default: "deny",
      hold_timeout: holdTimeout,
      approvers,
      rules,
    },
    policyFile,
    verdicts,
    report,
  };
}

/** One warrant rule per (source, effect), naming its tools; the default deny covers the rest. */
function warrantRules(
  verdicts: ToolVerdict[],
  rules: readonly LodestarRule[],
  haveApprovers: boolean,
): Array<Record<string, unknown>> {
  const groups = new Map<string, ToolVerdict[]>();
  for (const v of verdicts) {
    if (v.source.kind === "structural_default") continue;
    const id = ruleId(v.source);
    groups.set(id, [...(groups.get(id) ?? []), v]);
  }
  const order = (v: ToolVerdict) => ("index" in v.source ? v.source.index : rules.length);
  const sorted = [...groups].sort((a, b) => order(a[1][0]!) - order(b[1][0]!));
  const out: Array<Record<string, unknown>> = [];
  for (const [id, vs] of sorted) {
    const v = vs[0]!;
    const src = v.source;
    const from = src.kind === "l4_floor_over_allow"
      ? `Lodestar rules[${src.index}] allows ${
        JSON.stringify(rules[src.index]!.match)
      }, but L4 always holds`
      : "index" in src
      ? `Lodestar rules[${src.index}]: ${JSON.stringify(rules[src.index]!.match)}`
      : `Lodestar's ${src.kind === "l5_floor" ? "L5 deny" : "L4 hold"} floor`;
    out.push({
      id,
      description: from,
      tool: vs.map((x) => x.tool),
      effect: v.effect,
      reason: v.reason,
      ...(v.effect === "hold" && haveApprovers
        ? { approval: { quorum: 1, roles: ["approver"] } }
        : {}),
    });
  }
  return out;
}

function reportRules(
  rules: readonly LodestarRule[],
  verdicts: ToolVerdict[],
  tools: string[],
  note: (f: string, s: ReportItem["status"], d: string) => void,
): void {
  const open = rules.flatMap((r, i) =>
    reachesUndeclaredTools(r.match, tools) ? [`rules[${i}]`] : []
  );
  if (open.length > 0) {
    note(
      open.join(", "),
      "not_translated",
      "can also match tools not in tool_defaults, whose contract (level, radius) is unknown here: " +
        "warrant denies those tools by default; declare them in tool_defaults and import again",
    );
  }
  rules.forEach((r, i) => {
    const field = `rules[${i}]`;
    const decided = verdicts.filter((v) => "index" in v.source && v.source.index === i);
    if (decided.length > 0) {
      note(
        field,
        "translated",
        `${r.effect} → ${decided.map((v) => `${v.tool} (${v.effect})`).join(", ")}`,
      );
    } else {
      note(
        field,
        "note",
        "decides none of the tools in tool_defaults (an earlier rule wins, or none matches)",
      );
    }
    if (
      r.match.tool !== undefined && !r.match.tool.startsWith("runtime.") &&
      !r.match.tool.startsWith("*")
    ) {
      note(
        `${field}.match.tool`,
        "note",
        `"${r.match.tool}" never matches a runtime-gate tool in Lodestar (they are named runtime.NAME), so it decides nothing here either`,
      );
    }
    if (r.approval?.required_authority) {
      note(
        `${field}.approval.required_authority`,
        "not_translated",
        `${
          JSON.stringify(r.approval.required_authority)
        }: Lodestar's gate does not enforce it either ` +
          "(only lodestar approve checks it, on a self-asserted actor); in warrant, give the approvers who " +
          'qualify a role and name it in the rule\'s approval.roles (e.g. "roles": ["finance"], "quorum": 2)',
      );
    }
  });
}
