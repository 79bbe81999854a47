/**
 * argv → exit code. The only place that knows every verb; runtime/main.ts
 * wires it to the process with a runtime. The verb's module is loaded when
 * it runs (verbs/lazy.ts): a gate start does not evaluate the whole CLI.
 */
import { closest } from "../core/suggest.ts";
import { EXIT, parseArgs, reportError, UsageError } from "./io.ts";
import type { CliIO, Verb } from "./io.ts";
import { verbsFor } from "./verbs/lazy.ts";

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
    "Run `warrant help VERB` (or `warrant VERB --help`) for a verb's flags and an example,",
    "and `warrant help GROUP` (or `warrant GROUP --help`) for a group's verbs.",
  ].join("\n");
}

/** Find the verb whose (possibly multi-word) name prefixes argv, longest first. */
export function findVerb(
  argv: string[],
  verbs: Verb[],
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

/** The verbs of a group ("policy" → policy sign, policy verify, ...), or none. */
function groupOf(group: string, verbs: Verb[]): Verb[] {
  return verbs.filter((v) => v.name.startsWith(`${group} `));
}

function groupHelp(group: string, members: Verb[]): string {
  const width = Math.max(...members.map((v) => v.name.length));
  return [
    `warrant ${group} — ${members.length} verbs`,
    "",
    ...members.map((v) => `  warrant ${v.name.padEnd(width)}  ${v.summary}`),
    "",
    "Example:",
    `  warrant help ${members[0]!.name}`,
    "",
    `Run \`warrant help ${group} VERB\` or \`warrant ${group} VERB --help\` for a verb's flags.`,
  ].join("\n");
}

/**
 * `warrant help [VERB | GROUP]`: the verb's help, a group's verbs, or the
 * top-level help. Exit 0, or 2 naming the unknown word.
 */
function help(words: string[], io: CliIO, verbs: Verb[]): number {
  if (words.length === 0) {
    io.out(topHelp(verbs));
    return EXIT.ok;
  }
  const exact = verbs.find((v) => v.name === words.join(" "));
  if (exact) {
    io.out(exact.help);
    return EXIT.ok;
  }
  const members = words.length === 1 ? groupOf(words[0]!, verbs) : [];
  if (members.length > 0) {
    io.out(groupHelp(words[0]!, members));
    return EXIT.ok;
  }
  io.err(`warrant help: no verb or group "${words.join(" ")}" (see warrant --help)`);
  return EXIT.usage;
}

/**
 * Run the CLI. Never throws: every failure is an exit code and a stderr
 * line. `verbs`: the verbs to choose from (default: every verb, each module
 * loaded only when argv needs it).
 */
export async function runCli(argv: string[], io: CliIO, given?: Verb[]): Promise<number> {
  if (argv[0] === "--version" || argv[0] === "version") {
    io.out(`warrant ${VERSION}`);
    return EXIT.ok;
  }
  const verbs = given ?? (await verbsFor(argv));
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    (argv.length === 0 ? io.err : io.out)(topHelp(verbs));
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (argv[0] === "help") return help(argv.slice(1), io, verbs);
  const found = findVerb(argv, verbs);
  if (!found) {
    const group = groupOf(argv[0]!, verbs);
    if (group.length > 0 && argv.length === 2 && (argv[1] === "--help" || argv[1] === "-h")) {
      io.out(groupHelp(argv[0]!, group));
      return EXIT.ok;
    }
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
    // Start-up is over for a verb; a face says when it is (see Verb.face).
    if (!found.verb.face) io.runtime.steadyState();
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
