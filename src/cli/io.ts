/**
 * The CLI's printer and argument parser (node:util parseArgs; exit codes in
 * exit-codes.ts). Every verb is a
 * `Verb`: parsed flags in, exit code out; human text by default, `--json`
 * for machines. Verbs print through `io`, never console.log.
 */
import { parseArgs as nodeParseArgs } from "node:util";
import type { ProcessIO, Runtime } from "../app/ports/runtime.ts";
import { WarrantError } from "../core/errors.ts";
import { EXIT, EXIT_FOR_CODE } from "./exit-codes.ts";

export { EXIT } from "./exit-codes.ts";

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
  /**
   * A long-running face (the gate, serve, mcp): it restores the runtime's
   * normal JIT thresholds itself once it is up. Every other verb runs under
   * them from the moment it is dispatched (Runtime.steadyState).
   */
  face?: true;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

/** A usage mistake: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Parse `argv` against `spec` with node:util `parseArgs` (strict). Accepts
 * `--flag value`, `--flag=value`, `--bool`, `-s value`, and `--` to end
 * flags; a string flag takes the next argument even when it starts with "-"
 * (`--since -1h`). `--json` and `--help` are always accepted. Throws
 * UsageError on an unknown flag, a missing value or a value given to a
 * boolean flag.
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
  // node:util calls "--key -5" ambiguous; warrant has always read it as key = "-5".
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const name = a.startsWith("--") && !a.includes("=")
      ? a.slice(2)
      : /^-[^-]$/.test(a)
      ? byShort.get(a.slice(1))
      : undefined;
    const next = argv[i + 1];
    if (name && all[name]?.type === "string" && next !== undefined && next.startsWith("-")) {
      args.push(`--${name}=${next}`);
      i++;
    } else args.push(a);
  }
  try {
    const { values, positionals } = nodeParseArgs({
      args,
      options: all,
      strict: true,
      allowPositionals: true,
    });
    return { positionals, flags: values as ParsedArgs["flags"] };
  } catch (e) {
    throw new UsageError(usageMessage(e));
  }
}

/** node:util's parse errors, in warrant's words ("unknown flag --x", "--key needs a value"). */
function usageMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const flag = /'(-{1,2}[^' <]+)/.exec(msg)?.[1] ?? "";
  switch ((e as { code?: string }).code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(msg)
        ? `${flag} takes no value`
        : `${flag} needs a value`;
    default:
      return msg.split("\n")[0]!;
  }
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
  return EXIT_FOR_CODE[code];
}
