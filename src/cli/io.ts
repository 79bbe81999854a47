/**
 * The CLI's printer, argument parser and exit codes. Every verb is a
 * `Verb`: parsed flags in, exit code out; human text by default, `--json`
 * for machines. Verbs print through `io`, never console.log.
 */
import type { ProcessIO, Runtime } from "../app/ports/runtime.ts";
import { WarrantError } from "../core/errors.ts";

/** Exit codes (SPEC §7). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  not_found: 3,
  rejected: 4,
  pending: 5,
} as const;

/** The process (printers, env, cwd) and the composition root, handed to every verb. */
export interface CliIO extends ProcessIO {
  runtime: Runtime;
  /** True when stdout is a terminal: verbs then print tables instead of JSON lines. */
  stdoutIsTTY?: boolean;
}

export type FlagSpec = Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean; short?: string }
>;

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

export interface Verb {
  /** e.g. "policy sign" */
  name: string;
  /** One line for `warrant --help`. */
  summary: string;
  /** Full help: synopsis, flags, at least one example. */
  help: string;
  flags: FlagSpec;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

/** A usage mistake: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Parse `argv` against `spec`. Accepts `--flag value`, `--flag=value`,
 * `--bool`, `-s value`, and `--` to end flags. `--json` and `--help` are
 * always accepted. Throws UsageError on an unknown flag or a missing value.
 *
 * @example parseArgs(["x.json", "--key", "k"], { key: { type: "string" } })
 *   // → { positionals: ["x.json"], flags: { key: "k" } }
 */
export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const all: FlagSpec = {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...spec,
  };
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(all)) if (s.short) byShort.set(s.short, name);
  const positionals: string[] = [];
  const flags: ParsedArgs["flags"] = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else if (a.startsWith("-") && a.length === 2) {
      name = byShort.get(a.slice(1));
      if (!name) throw new UsageError(`unknown flag ${a}`);
    } else {
      positionals.push(a);
      continue;
    }
    const s = all[name];
    if (!s) throw new UsageError(`unknown flag --${name}`);
    if (s.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    if (s.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), v];
    else flags[name] = v;
  }
  return { positionals, flags };
}

/** The string value of a flag, or undefined. */
export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === "string" ? v : undefined;
}

/** The string value of a required flag; UsageError naming it when absent. */
export function requireFlag(args: ParsedArgs, name: string, hint = ""): string {
  const v = flagString(args, name);
  if (v === undefined || v === "") {
    throw new UsageError(`missing --${name}${hint ? ` (${hint})` : ""}`);
  }
  return v;
}

/** Print `value` as one JSON line (for --json). */
export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value));
}

/** Map an error to an exit code and print it on stderr, as JSON when asked. */
export function reportError(io: CliIO, e: unknown, json: boolean): number {
  if (e instanceof UsageError) {
    io.err(`warrant: ${e.message} (see --help)`);
    return EXIT.usage;
  }
  const code = e instanceof WarrantError ? e.code : "internal_error";
  const message = e instanceof Error ? e.message : String(e);
  if (json) io.err(JSON.stringify({ error: { code, message } }));
  else io.err(`warrant: ${message} [${code}]`);
  if (code === "request_closed") return EXIT.rejected; // README: 4, the request is no longer open
  return code === "not_found" || code === "request_not_found" || code === "policy_not_found" ||
      code === "config_not_found"
    ? EXIT.not_found
    : EXIT.error;
}
