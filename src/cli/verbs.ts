import type { Verb } from "./io.ts";
import { approvalVerbs } from "./approval-verbs.ts";
import { auditVerbs } from "./audit-verbs.ts";
import { execVerbs } from "./exec-verbs.ts";
import { gateVerbs } from "./gate-verbs.ts";
import { keyVerbs } from "./key-verbs.ts";
import { policyVerbs } from "./policy-verbs.ts";
import { serveVerb } from "./serve.ts";

/** Every verb of the CLI, in the order `warrant --help` lists them. */
export const VERBS: Verb[] = [
  ...gateVerbs,
  ...approvalVerbs,
  ...execVerbs,
  ...keyVerbs,
  ...policyVerbs,
  ...auditVerbs,
  serveVerb,
];
