/**
 * The active policy of a process, and its reload: a bad update keeps the
 * active policy and records why (SPEC §4).
 */
import { toWarrantError } from "../core/errors.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import { holdPolicyLookup } from "./hold-policy.ts";
import type { HoldPolicyLookup } from "./hold-policy.ts";
import { loadPolicy } from "./policy-loader.ts";
import type { PolicySource } from "./ports/policy-source.ts";
import type { Clock, Logger } from "./ports/system.ts";
import type { PolicyVersionGuard } from "./ports/policy-source.ts";
import type { Store } from "./ports/store.ts";

/**
 * Rollback protection backed by the store: the highest version per policy
 * id, and the highest policy per project across ids. Accepting also keeps
 * the verified file and .sig (approvals are re-verified against them). A
 * read-only guard checks against what the store accepted and records
 * nothing (the read-only verbs never write); an accept that would change
 * nothing opens no write transaction.
 */
export function storeVersionGuard(
  store: Store,
  project: string,
  readOnly = false,
): PolicyVersionGuard {
  return {
    accepted: (id) => store.acceptedPolicyVersion(id),
    acceptedSha256: (id) => store.acceptedPolicySha256(id),
    projectHead: () => store.acceptedProjectPolicy(project),
    accept: (id, version, sha256, at, doc) => {
      if (readOnly) return;
      if (
        store.acceptedPolicyVersion(id) === version && store.acceptedPolicySha256(id) === sha256 &&
        store.acceptedProjectPolicy(project)?.sha256 === sha256 &&
        (!doc || store.policyDocument(id, version) !== null)
      ) {
        return; // already accepted: the common start needs no write
      }
      store.tx((tx) => {
        tx.acceptPolicyVersion(id, version, sha256, at);
        tx.acceptProjectPolicy(project, { policy_id: id, version, sha256 }, at);
        if (doc) {
          tx.savePolicyDocument({
            policy_id: id,
            version,
            sha256,
            bytes: doc.bytes,
            sig: doc.sig,
            at,
          });
        }
      });
    },
  };
}

export class PolicyHolder {
  private active!: CompiledPolicy;
  private sha = "";

  private constructor(
    private readonly src: PolicySource,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly readOnly: boolean,
  ) {}

  /**
   * Load, verify and accept the policy; throws (the caller refuses to
   * start). `readOnly` verifies the same way but records nothing.
   */
  static open(
    src: PolicySource,
    store: Store,
    clock: Clock,
    logger: Logger,
    readOnly = false,
  ): PolicyHolder {
    const h = new PolicyHolder(src, store, clock, logger, readOnly);
    h.load("start");
    return h;
  }

  get current(): CompiledPolicy {
    return this.active;
  }

  private lookup: HoldPolicyLookup | null = null;

  /** The (verified) policy of a given id and version: what approvals of a hold are checked against. */
  policyOf(id: string, version: number): ReturnType<HoldPolicyLookup> {
    this.lookup ??= holdPolicyLookup(this.store, this.src, () => this.active);
    return this.lookup(id, version);
  }

  get sha256(): string {
    return this.sha;
  }

  /** Reload; on failure keep the active policy, record and return the error. */
  reload(
    trigger: string,
  ): { ok: true; changed: boolean } | { ok: false; code: string; message: string } {
    const before = this.sha;
    try {
      this.load(trigger);
      return { ok: true, changed: this.sha !== before };
    } catch (e) {
      const err = toWarrantError(e);
      this.logger.log("error", "policy reload refused; keeping the active policy", {
        code: err.code,
        error: err.message,
        active: `${this.active.id} v${this.active.version}`,
      });
      try {
        if (!this.readOnly) {
          this.store.tx((tx) =>
            tx.appendEvent({
              type: "policy.reload_refused",
              at: this.clock.now(),
              payload: {
                trigger,
                code: err.code,
                message: err.message,
                active_version: this.active.version,
              },
            })
          );
        }
      } catch { /* the stderr line above stands */ }
      return { ok: false, code: err.code, message: err.message };
    }
  }

  private load(trigger: string): void {
    const now = this.clock.now();
    const r = loadPolicy({
      file: this.src.file,
      readFile: this.src.readFile,
      signers: this.src.signers,
      threshold: this.src.threshold,
      allowUnsigned: this.src.allowUnsigned,
      versions: storeVersionGuard(this.store, this.src.project, this.readOnly),
      now,
    });
    if (r.sha256 === this.sha) return;
    this.active = r.policy;
    this.sha = r.sha256;
    for (const w of r.warnings) this.logger.log("warn", w, { policy: r.policy.id });
    if (this.readOnly || this.store.activePolicySha256() === r.sha256) return;
    // Recorded only when the store's active policy changes, not at every start.
    this.store.tx((tx) => {
      tx.setActivePolicySha256(r.sha256);
      tx.appendEvent({
        type: "policy.loaded",
        at: now,
        payload: {
          trigger,
          policy: r.policy.id,
          version: r.policy.version,
          sha256: r.sha256,
          unsigned: r.unsigned,
          ...(r.unsigned ? { warning: "policy.allow_unsigned is on: development mode" } : {}),
        },
      });
    });
  }
}
