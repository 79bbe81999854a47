import type { Verb } from "./io.ts";
import { keygenVerb } from "./key-keygen.ts";
import { policySignVerb } from "./key-policy-sign.ts";
import { policyVerifyVerb } from "./key-policy-verify.ts";

/** The key and signature verbs (keygen, policy sign, policy verify), registered by verbs.ts. */
export const keyVerbs: Verb[] = [keygenVerb, policySignVerb, policyVerifyVerb];
