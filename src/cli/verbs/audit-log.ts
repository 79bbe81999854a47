/**
 * `warrant audit log`: the audit chain for people — one line per event,
 * ISO times, the payload as `key=value`, filterable by type, action and
 * time. `audit export` is the machine form.
 */
import { compileGlob } from "../../core/policy/glob.ts";
import type { EventRecord } from "../../core/records.ts";
import { EXIT, flagString, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";
import { auditStorePath, exportedEvent, forEachEvent, parseSince, STORE_FLAGS } from "./audit.ts";

const TIME_KEY = /(^|_)(at|deadline|expires_at|issued_at|created_at)$/;
const MAX_VALUE = 48;

/** One payload value, short: times as ISO, lists joined, long text cut. */
function short(key: string, v: unknown): string {
  let s: string;
  if (typeof v === "number" && TIME_KEY.test(key) && v > 1e12) s = new Date(v).toISOString();
  else if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) {
    s = v.join(",");
  } else if (typeof v === "string" && /^(sha256(-json)?:)?[0-9a-f]{64}$/.test(v)) {
    s = `${v.slice(0, v.length - 52)}…`; // a digest: its first 12 hex digits identify it
  } else if (typeof v === "string") s = /\s/.test(v) ? JSON.stringify(v) : v;
  else s = JSON.stringify(v);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

/**
 * An event as one line: `#SEQ  TIME  TYPE  ACTION  key=value…`.
 *
 * @example formatEvent({ seq: 3, at: 0, type: "action.held", action_id: "act_1", payload: { rules: ["r"] }, … })
 *   // "#3     1970-01-01T00:00:00.000Z  action.held           act_1  rules=r"
 */
export function formatEvent(e: EventRecord, seqWidth = 5): string {
  const kv = Object.entries(e.payload).map(([k, v]) => `${k}=${short(k, v)}`).join(" ");
  return [
    `#${String(e.seq).padEnd(seqWidth)}`,
    new Date(e.at).toISOString(),
    e.type.padEnd(20),
    (e.action_id ?? "-").padEnd(30),
    kv,
  ].join("  ").trimEnd();
}

export const auditLogVerb: Verb = {
  name: "audit log",
  summary: "Read the audit log: one line per event, ISO times, filterable",
  help: [
    "Usage: warrant audit log [--store PATH | --config FILE] [--since SEQ|ISO]",
    "                         [--type GLOB] [--action ACTION_ID] [--last N] [--json]",
    "",
    "Prints the hash-chained audit log in seq order, one event per line:",
    "  #SEQ  TIME (ISO 8601, UTC)  TYPE  ACTION  key=value of the payload",
    "Payloads hold ids, states, rules and digests, never arguments or outputs.",
    "Check the chain itself with warrant audit verify.",
    "",
    "Flags:",
    "  --since SEQ|ISO    from that seq (inclusive), or events at or after that time",
    "  --type GLOB        only these types, e.g. 'action.*' or resolution.accepted",
    "  --action ID        only the events of that action",
    "  --last N           only the last N matching events",
    "  --json             the matching events as JSON lines (as audit export)",
    "  --config FILE      default $WARRANT_CONFIG, then ./warrant.json",
    "",
    "Example:",
    "  warrant audit log --type 'request.*' --since 2026-11-23T00:00:00Z",
    "  warrant audit log --action act_01jd8x… ",
  ].join("\n"),
  flags: {
    ...STORE_FLAGS,
    since: { type: "string" },
    type: { type: "string" },
    action: { type: "string" },
    last: { type: "string" },
  },
  async run(args, io) {
    const since = parseSince(flagString(args, "since"));
    const typeGlob = flagString(args, "type");
    const matchType = typeGlob === undefined ? () => true : compileGlob(typeGlob);
    const action = flagString(args, "action");
    const lastText = flagString(args, "last");
    const last = lastText === undefined ? null : Number(lastText);
    if (last !== null && (!Number.isInteger(last) || last < 1)) {
      throw new UsageError(`--last ${lastText}: give a whole number of events, e.g. --last 20`);
    }
    const store = io.runtime.openAuditStore(auditStorePath(args, io), io.env);
    try {
      const kept: EventRecord[] = [];
      let seen = 0;
      forEachEvent(store, since, (e) => {
        if (!matchType(e.type) || (action !== undefined && e.action_id !== action)) return;
        kept.push(e);
        seen++;
        if (last !== null && kept.length > last) kept.shift();
      });
      if (args.flags.json) {
        for (const e of kept) io.out(JSON.stringify(exportedEvent(e)));
        return EXIT.ok;
      }
      if (kept.length === 0) {
        io.err("warrant: no event matches");
        return EXIT.ok;
      }
      const width = String(kept[kept.length - 1]!.seq).length;
      for (const e of kept) io.out(formatEvent(e, width));
      if (last !== null && seen > kept.length) {
        io.err(`warrant: the last ${kept.length} of ${seen} matching events`);
      }
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
};
