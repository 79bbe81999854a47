import type { Verb } from "./io.ts";

/** The gate verbs, registered by verbs.ts. */
export const gateVerbs: Verb[] = [];
