/**
 * `warrant audit verify` and `warrant audit export`: check the audit log's
 * hash chain, and stream it out as JSONL.
 */
import type { Store } from "../../app/ports/store.ts";
import type { EventRecord } from "../../core/records.ts";
import { EXIT, flagString, printJson, UsageError } from "../io.ts";
import { progress } from "../progress.ts";
import type { Verb } from "../io.ts";
import { resolve } from "node:path";
import { type Config, storeLocator } from "../../app/config.ts";
import { isWarrantError, WarrantError } from "../../core/errors.ts";
import type { CliIO, ParsedArgs } from "../io.ts";

const PAGE = 1000;

/* How the audit verbs find the store: `--store PATH`, or `--config FILE` (its store.path). */

/** Flags shared by the audit verbs. */
export const STORE_FLAGS = {
  store: { type: "string" },
  config: { type: "string" },
} as const;

/**
 * The store path named by --store, or by the config: --config, else
 * $WARRANT_CONFIG, else ./warrant.json (as every verb that touches the
 * store). UsageError when both flags are given.
 */
export function auditStorePath(args: ParsedArgs, io: CliIO): string {
  const store = flagString(args, "store");
  const config = flagString(args, "config");
  if (store && config) throw new UsageError("pass either --store or --config, not both");
  // A PostgreSQL store is named by its locator (the URL stays in the environment).
  if (store) return store.startsWith("postgres:") ? store : resolve(io.cwd, store);
  const named = config ?? (io.env.WARRANT_CONFIG || undefined);
  try {
    return storeLocator(io.runtime.loadConfig(named ?? "warrant.json", io.cwd));
  } catch (e) {
    if (named || !isWarrantError(e, "config_not_found")) throw e;
    throw new WarrantError(
      "config_not_found",
      `No warrant.json in ${io.cwd} and $WARRANT_CONFIG is not set; pass --config FILE or --store PATH`,
    );
  }
}

/** The config named by --config, or null (with --store). */
function auditConfig(args: ParsedArgs, io: CliIO): Config | null {
  const config = flagString(args, "config");
  return config ? io.runtime.loadConfig(config, io.cwd) : null;
}

export const auditVerifyVerb: Verb = {
  name: "audit verify",
  summary: "Check the audit log's hash chain (exit 1 naming the first bad row)",
  help: [
    "Usage: warrant audit verify [--store PATH | --config FILE] [--json]",
    "",
    "Recomputes every event's hash and checks that seqs run 1, 2, 3… with each",
    "prev_hash linking to the previous event, and that the log ends at the head",
    "the store recorded. Any edited, deleted, inserted or reordered row is",
    "reported with the first bad seq; the exit code is then 1. The actions,",
    "approval_requests and resolutions rows are checked against the chain.",
    "",
    "With --config and an `audit` block, the store is also checked against",
    "every signed checkpoint in the witness: a missing tail, a rebuilt or",
    "emptied chain, another store or an older copy exits 1 and says which.",
    "",
    "Flags:",
    "  --store PATH    the SQLite store file, or postgres:URL_ENV/SCHEMA",
    "  --config FILE   a warrant.json (uses its store.path); default $WARRANT_CONFIG,",
    "                  then ./warrant.json",
    "  --json          print {ok, checked, first_bad?: {seq, problem}}",
    "",
    "Example:",
    "  warrant audit verify --config warrant.json",
  ].join("\n"),
  flags: { ...STORE_FLAGS },
  async run(args, io) {
    const path = auditStorePath(args, io);
    const config = auditConfig(args, io);
    const store = io.runtime.openAuditStore(path, io.env);
    try {
      const r = store.verifyAudit(progress(io, "audit verify", "events checked"));
      const w = io.runtime.witness(config, store);
      const ok = r.ok && (w === null || w.ok);
      if (args.flags.json) {
        printJson(io, { store: path, ...r, ok, ...(w ? { witness: w } : {}) });
        return ok ? EXIT.ok : EXIT.error;
      }
      if (w) {
        io.out(
          w.ok
            ? `witness OK: the store holds all ${w.checkpoints} checkpoint(s) in ${w.witness} ` +
              `(checkpoint key ${w.public_key})`
            : `witness says ROLLED BACK (${w.kind}): ${w.problem} [witness ${w.witness}, ` +
              `checkpoint key ${w.public_key}]`,
        );
        if (!w.ok) io.err(`warrant: store behind its witness: ${w.kind} [store_rolled_back]`);
      }
      if (r.ok) {
        io.out(
          `audit log OK: ${r.checked} events verified, and every action, request and ` +
            `resolution row matches them, in ${path}`,
        );
      } else if (r.first_bad) {
        io.out(
          `audit log BROKEN at seq ${r.first_bad.seq}: ${r.first_bad.problem} ` +
            `(${r.checked} events verified before it, in ${path})`,
        );
      } else {
        io.out(`audit log OK (${r.checked} events), but rows disagree with it, in ${path}:`);
        for (const p of r.row_problems ?? []) io.out(`  ${p.table} ${p.id}: ${p.problem}`);
      }
      if (!r.ok) {
        io.err(
          r.first_bad
            ? `warrant: audit chain broken at seq ${r.first_bad.seq} [audit_chain_broken]`
            : `warrant: ${
              r.row_problems!.length
            } row(s) edited outside warrant [audit_chain_broken]`,
        );
      }
      return ok ? EXIT.ok : EXIT.error;
    } finally {
      store.close();
    }
  },
};

/** `--since` as a seq (digits) or an ISO-8601 time; UsageError otherwise. */
export function parseSince(text: string | undefined): { seq: number } | { at: number } | null {
  if (text === undefined) return null;
  if (/^\d+$/.test(text)) return { seq: Number(text) };
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at)) {
    throw new UsageError(
      `--since ${
        JSON.stringify(text)
      }: give a seq (e.g. 120) or an ISO time (e.g. 2026-11-23T10:00:00Z)`,
    );
  }
  return { at };
}

/** An event as exported: `at` as ISO 8601 (as in SSE and webhooks), the rest as stored. */
export function exportedEvent(e: EventRecord): Record<string, unknown> {
  return { ...e, at: new Date(e.at).toISOString() };
}

const CSV_COLUMNS = ["seq", "at", "type", "action_id", "payload", "prev_hash", "hash"] as const;

/** One RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(v: unknown): string {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Walk the events from `since` in pages, calling `each` for those kept. */
export function forEachEvent(
  store: Store,
  since: ReturnType<typeof parseSince>,
  each: (e: EventRecord) => void,
): void {
  let after = since && "seq" in since ? Math.max(0, since.seq - 1) : 0;
  const keep = (e: EventRecord) => !(since && "at" in since) || e.at >= since.at;
  for (;;) {
    const page = store.events({ afterSeq: after, limit: PAGE });
    for (const e of page) if (keep(e)) each(e);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
}

export const auditExportVerb: Verb = {
  name: "audit export",
  summary: "Stream audit events as JSONL (or CSV) to stdout",
  help: [
    "Usage: warrant audit export [--store PATH | --config FILE] [--since SEQ|ISO] [--format jsonl|csv]",
    "",
    "Writes one event per line, in seq order: {seq, at, type, action_id,",
    "payload, prev_hash, hash}, `at` in ISO 8601 (UTC). Events hold ids, states,",
    "rules and digests, never arguments or outputs. --since SEQ starts at that",
    "seq (inclusive); --since ISO keeps events recorded at or after that time.",
    "--format csv writes a header and the same columns (payload as JSON text).",
    "",
    "Example:",
    "  warrant audit export --config warrant.json --since 2026-11-23T00:00:00Z > audit.jsonl",
    "  warrant audit export --format csv > audit.csv",
  ].join("\n"),
  flags: { ...STORE_FLAGS, since: { type: "string" }, format: { type: "string" } },
  async run(args, io) {
    const format = flagString(args, "format") ?? "jsonl";
    if (format !== "jsonl" && format !== "csv") {
      throw new UsageError(`--format ${format}: use jsonl or csv`);
    }
    const since = parseSince(flagString(args, "since"));
    const store = io.runtime.openAuditStore(auditStorePath(args, io), io.env);
    try {
      if (format === "csv") io.out(CSV_COLUMNS.join(","));
      forEachEvent(store, since, (e) => {
        const x = exportedEvent(e);
        io.out(
          format === "csv" ? CSV_COLUMNS.map((c) => csvField(x[c])).join(",") : JSON.stringify(x),
        );
      });
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
};

/** The audit verbs, registered by verbs.ts. */
export const auditVerbs: Verb[] = [auditVerifyVerb, auditExportVerb];
