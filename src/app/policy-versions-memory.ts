/**
 * An in-memory PolicyVersionGuard, for tests and one-shot CLI checks (the
 * gate uses the store's policy_versions table).
 */
import type { PolicyVersionGuard } from "./ports/policy-source.ts";

/** Remembers the highest accepted version (and its sha256) per policy id. */
export class InMemoryPolicyVersions implements PolicyVersionGuard {
  private readonly rows = new Map<string, { version: number; sha256: string; at: number }>();

  /** Highest accepted version, or null. */
  accepted(policyId: string): number | null {
    return this.rows.get(policyId)?.version ?? null;
  }

  /** sha256 accepted at the highest version, or null. */
  acceptedSha256(policyId: string): string | null {
    return this.rows.get(policyId)?.sha256 ?? null;
  }

  /** Raise the accepted version; a lower one is ignored, never stored. */
  accept(policyId: string, version: number, sha256: string, at: number): void {
    const cur = this.rows.get(policyId);
    if (!cur || version >= cur.version) this.rows.set(policyId, { version, sha256, at });
  }
}
