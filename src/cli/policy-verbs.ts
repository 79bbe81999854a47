import type { Verb } from "./io.ts";

/** The policy verbs, registered by verbs.ts. */
export const policyVerbs: Verb[] = [];
