/**
 * argv → exit code. The only place that knows every verb; `main.ts` wires it
 * to the process.
 */
import { closest } from "../core/suggest.ts";
import { EXIT, parseArgs, reportError, UsageError } from "./io.ts";
import type { CliIO, Verb } from "./io.ts";
import { VERBS } from "./verbs/all.ts";

export const VERSION = "0.1.0";

function topHelp(verbs: Verb[]): string {
  const width = Math.max(...verbs.map((v) => v.name.length));
  return [
    "warrant — a governance runtime for AI agents' tool calls",
    "",
    "Usage: warrant <verb> [args] [--json] [--help]",
    "",
    "Verbs:",
    ...verbs.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`),
    "",
    "Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 rejected/denied, 5 still pending.",
    "",
    "Example:",
    "  warrant keygen --id ops --out ops.key",
    "  warrant policy sign policies/acme.policy.json --key ops.key",
    "  warrant runtime gate --config warrant.json",
    "",
    "Run `warrant <verb> --help` for a verb's flags and an example.",
  ].join("\n");
}

/** Find the verb whose (possibly multi-word) name prefixes argv, longest first. */
export function findVerb(
  argv: string[],
  verbs: Verb[] = VERBS,
): { verb: Verb; rest: string[] } | null {
  let best: { verb: Verb; rest: string[] } | null = null;
  for (const v of verbs) {
    const words = v.name.split(" ");
    if (
      words.every((w, i) => argv[i] === w) &&
      (!best || words.length > best.verb.name.split(" ").length)
    ) {
      best = { verb: v, rest: argv.slice(words.length) };
    }
  }
  return best;
}

/** Run the CLI. Never throws: every failure is an exit code and a stderr line. */
export async function runCli(argv: string[], io: CliIO, verbs: Verb[] = VERBS): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    (argv.length === 0 ? io.err : io.out)(topHelp(verbs));
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (argv[0] === "--version" || argv[0] === "version") {
    io.out(`warrant ${VERSION}`);
    return EXIT.ok;
  }
  const found = findVerb(argv, verbs);
  if (!found) {
    const group = verbs.filter((v) => v.name.startsWith(`${argv[0]} `));
    if (group.length > 0) {
      io.err(
        `warrant: "${argv.slice(0, 2).join(" ")}" is not a verb; try one of: ${
          group.map((v) => v.name).join(", ")
        }`,
      );
    } else {
      const words = [...new Set(verbs.map((v) => v.name.split(" ")[0]!))];
      const near = closest(argv[0]!, words);
      io.err(
        `warrant: unknown verb "${argv[0]}"${
          near ? ` — did you mean "${near}"?` : ""
        } (see warrant --help)`,
      );
    }
    return EXIT.usage;
  }
  const json = found.rest.includes("--json");
  try {
    const args = parseArgs(found.rest, found.verb.flags);
    if (args.flags.help) {
      io.out(found.verb.help);
      return EXIT.ok;
    }
    return await found.verb.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`warrant ${found.verb.name}: ${e.message}`);
      io.err(`usage: see warrant ${found.verb.name} --help`);
      return EXIT.usage;
    }
    return reportError(io, e, json);
  }
}
