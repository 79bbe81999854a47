/**
 * The policy that made a hold, for re-verifying its approvals at the point
 * of use. Approver keys and roles must come from a policy the operators
 * signed — never from a row an attacker with write access to the store
 * could have edited — so a stored policy file is verified again against the
 * config's trusted signers (the config is not in the store) before its
 * approvers are believed.
 */
import { decodeUtf8 } from "../core/base64.ts";
import { toWarrantError } from "../core/errors.ts";
import { verifyPolicySignature } from "../core/policy-signature.ts";
import { compilePolicy } from "../core/policy/compile.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import { parsePolicyDocument } from "../core/policy/schema.ts";
import type { StoreReads } from "./ports/store.ts";

/** What a stored policy is verified against: the config's trust root. */
export interface PolicyTrust {
  signers: Array<{ id: string; public_key: string }>;
  threshold: number;
  allowUnsigned: boolean;
}

/** The policy `id` v`version`, or why it cannot be trusted. */
export type HoldPolicyLookup = (
  id: string,
  version: number,
) => { ok: true; policy: CompiledPolicy } | { ok: false; problem: string };

/**
 * A lookup that answers the active policy when it is the one asked for, and
 * otherwise the stored file of that version, verified (signature, then
 * parse and compile). Verified policies are cached by their sha256.
 */
export function holdPolicyLookup(
  store: Pick<StoreReads, "policyDocument">,
  trust: PolicyTrust,
  active: () => CompiledPolicy,
): HoldPolicyLookup {
  const cache = new Map<string, CompiledPolicy>();
  return (id, version) => {
    const cur = active();
    if (cur.id === id && cur.version === version) return { ok: true, policy: cur };
    const doc = store.policyDocument(id, version);
    if (!doc) {
      return {
        ok: false,
        problem:
          `the policy that made the hold (${id} v${version}) is not stored; request a new approval`,
      };
    }
    const hit = cache.get(doc.sha256);
    if (hit) return { ok: true, policy: hit };
    const where = `stored policy ${id} v${version}`;
    try {
      if (doc.sig !== null || !trust.allowUnsigned) {
        verifyPolicySignature({
          file: where,
          bytes: doc.bytes,
          sigText: doc.sig === null ? null : decodeUtf8(doc.sig) ?? "",
          signers: trust.signers,
          threshold: trust.threshold,
        });
      }
      const policy = compilePolicy(parsePolicyDocument(decodeUtf8(doc.bytes) ?? "", where));
      if (policy.id !== id || policy.version !== version) {
        return { ok: false, problem: `${where} is really ${policy.id} v${policy.version}` };
      }
      cache.set(doc.sha256, policy);
      return { ok: true, policy };
    } catch (e) {
      return { ok: false, problem: `${where} does not verify: ${toWarrantError(e).message}` };
    }
  };
}
