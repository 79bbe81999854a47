import type { Verb } from "./io.ts";

/** The audit verbs, registered by verbs.ts. */
export const auditVerbs: Verb[] = [];
