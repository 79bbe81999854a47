import type { Verb } from "./io.ts";

/** The key verbs, registered by verbs.ts. */
export const keyVerbs: Verb[] = [];
