/**
 * Where a policy comes from (its file, how to read it, who must sign it) and
 * the rollback guard over accepted versions. Adapters: the store
 * (app/policy-holder.ts storeVersionGuard) and app/policy-versions-memory.ts.
 */
import type { ProjectPolicyHead } from "../../core/records.ts";

export interface PolicySource {
  file: string;
  readFile: (path: string) => Uint8Array | null;
  signers: Array<{ id: string; public_key: string }>;
  threshold: number;
  allowUnsigned: boolean;
  /** The config's `project`: policy versions are monotonic per project. */
  project: string;
}

/**
 * Rollback protection (SPEC §4): the highest policy version accepted per
 * policy id. The policy loader refuses an older version, and the same version
 * with different content when `acceptedSha256` is available.
 */
export interface PolicyVersionGuard {
  /** Highest accepted version of `policyId`, or null when none was. */
  accepted(policyId: string): number | null;
  /** sha256 hex of the file accepted at that highest version (optional: enables the same-version check). */
  acceptedSha256?(policyId: string): string | null;
  /** The highest policy the project accepted, across policy ids (optional: enables the per-project check). */
  projectHead?(): ProjectPolicyHead | null;
  /**
   * Record `version` (with the file's sha256) as accepted at `at` (ms); never
   * lowers the version. `doc` is the verified file and .sig, kept so that
   * approvals can later be re-verified against the policy that made a hold.
   */
  accept(
    policyId: string,
    version: number,
    sha256: string,
    at: number,
    doc?: { bytes: Uint8Array; sig: Uint8Array | null },
  ): void;
}
