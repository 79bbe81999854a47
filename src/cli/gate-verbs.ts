import type { Verb } from "./io.ts";
import { runtimeGateVerb } from "./gate-run.ts";

/** The gate verbs, registered by verbs.ts. */
export const gateVerbs: Verb[] = [runtimeGateVerb];
