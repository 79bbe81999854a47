/**
 * Where each verb lives, by name, so that the CLI loads only the module of
 * the verb it runs: `warrant runtime gate` (spawned by an agent's hook, and
 * timed to `ready`) does not evaluate every other verb's module and what it
 * imports (schemas, clients, formatting). all.ts is the same list loaded
 * eagerly; test/cli/help.test.ts checks the two agree, name for name and in
 * order.
 */
import type { Verb } from "../io.ts";

export interface VerbModule {
  /** The names of the verbs the module exports, in `warrant --help` order. */
  names: readonly string[];
  load(): Promise<Verb[]>;
}

/** Every verb module, in the order `warrant --help` lists them. */
export const VERB_MODULES: readonly VerbModule[] = [
  { names: ["runtime gate"], load: async () => (await import("./gate.ts")).gateVerbs },
  {
    names: ["pending", "show", "approve", "deny"],
    load: async () => (await import("./approval.ts")).approvalVerbs,
  },
  { names: ["exec", "resume"], load: async () => (await import("./exec.ts")).execVerbs },
  { names: ["keygen"], load: async () => [(await import("./keygen.ts")).keygenVerb] },
  {
    names: ["policy sign"],
    load: async () => [(await import("./policy-sign.ts")).policySignVerb],
  },
  {
    names: ["policy verify"],
    load: async () => [(await import("./policy-verify.ts")).policyVerifyVerb],
  },
  {
    names: ["policy check", "policy test", "policy explain"],
    load: async () => (await import("./policy.ts")).policyVerbs,
  },
  {
    names: ["audit verify", "audit export"],
    load: async () => (await import("./audit.ts")).auditVerbs,
  },
  { names: ["audit log"], load: async () => [(await import("./audit-log.ts")).auditLogVerb] },
  {
    names: ["store rotate-key", "store copy"],
    load: async () => (await import("./store.ts")).storeVerbs,
  },
  { names: ["serve"], load: async () => [(await import("./serve.ts")).serveVerb] },
  { names: ["import lodestar"], load: async () => (await import("./import.ts")).importVerbs },
  { names: ["mcp"], load: async () => [(await import("./mcp.ts")).mcpVerb] },
  {
    names: ["verify-release"],
    load: async () => [(await import("./release.ts")).verifyReleaseVerb],
  },
];

/** Every verb, loading every module (help, group listings, suggestions). */
export async function loadAllVerbs(): Promise<Verb[]> {
  return (await Promise.all(VERB_MODULES.map((m) => m.load()))).flat();
}

/**
 * The verbs `argv` can need: the module of the longest verb name that
 * prefixes argv (what findVerb would pick), else all of them (help, a
 * group, an unknown word).
 */
export async function verbsFor(argv: readonly string[]): Promise<Verb[]> {
  let best: { module: VerbModule; words: number } | null = null;
  for (const m of VERB_MODULES) {
    for (const name of m.names) {
      const words = name.split(" ");
      if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.words)) {
        best = { module: m, words: words.length };
      }
    }
  }
  return best ? await best.module.load() : await loadAllVerbs();
}
