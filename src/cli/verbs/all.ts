import type { Verb } from "../io.ts";
import { approvalVerbs } from "./approval.ts";
import { auditLogVerb } from "./audit-log.ts";
import { auditVerbs } from "./audit.ts";
import { execVerbs } from "./exec.ts";
import { gateVerbs } from "./gate.ts";
import { importVerbs } from "./import.ts";
import { keygenVerb } from "./keygen.ts";
import { mcpVerb } from "./mcp.ts";
import { policySignVerb } from "./policy-sign.ts";
import { policyVerifyVerb } from "./policy-verify.ts";
import { policyVerbs } from "./policy.ts";
import { verifyReleaseVerb } from "./release.ts";
import { serveVerb } from "./serve.ts";
import { storeVerbs } from "./store.ts";

/** Every verb of the CLI, in the order `warrant --help` lists them. */
export const VERBS: Verb[] = [
  ...gateVerbs,
  ...approvalVerbs,
  ...execVerbs,
  keygenVerb,
  policySignVerb,
  policyVerifyVerb,
  ...policyVerbs,
  ...auditVerbs,
  auditLogVerb,
  ...storeVerbs,
  serveVerb,
  ...importVerbs,
  mcpVerb,
  verifyReleaseVerb,
];
