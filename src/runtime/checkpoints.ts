/**
 * Wiring of the audit witness (config `audit`): the checkpoint key, the
 * witness directory, the refusal of a rolled-back store, and the timer that
 * writes checkpoints while a writer runs.
 */
import type { Config } from "../app/config.ts";
import { Checkpointer } from "../app/checkpoints.ts";
import type { Store } from "../app/ports/store.ts";
import type { Clock, Logger } from "../app/ports/system.ts";
import { readSecretKey } from "../cli/key-files.ts";
import { nodeFiles } from "../platform/files.ts";
import { WarrantError } from "../core/errors.ts";
import { formatPublicKey } from "../core/keys.ts";
import { witnessDir } from "../platform/witness-dir.ts";

/** A running checkpointer: `stop` writes the last checkpoint (clean shutdown). */
export interface CheckpointHandle {
  checkpointer: Checkpointer;
  /** `ed25519:BASE64` of the checkpoint key. */
  publicKey: string;
  witness: string;
  stop(): void;
}

/** The checkpointer of `config.audit` over `store` (no timer started). */
export function openCheckpointer(
  audit: NonNullable<Config["audit"]>,
  store: Store,
  clock: Clock,
): { checkpointer: Checkpointer; publicKey: string; witness: string } {
  const key = readSecretKey(nodeFiles, audit.checkpoint_key, "/");
  const witness = witnessDir(audit.witness);
  return {
    checkpointer: new Checkpointer({
      store,
      witness,
      secret: key.secret,
      publicKey: key.publicKey,
      clock,
    }),
    publicKey: formatPublicKey(key.publicKey),
    witness: witness.where,
  };
}

/**
 * For a writer: refuse a store behind its witness (store_rolled_back, before
 * anything is written), then write a checkpoint every interval in which the
 * head moved. Throws store_rolled_back or the key file's error.
 */
export function startCheckpoints(
  config: Config,
  store: Store,
  clock: Clock,
  logger: Logger,
): CheckpointHandle | null {
  if (!config.audit) return null;
  const opened = openCheckpointer(config.audit, store, clock);
  const bad = opened.checkpointer.check();
  if (bad) {
    throw new WarrantError(
      "store_rolled_back",
      `Refusing store ${store.path}: ${bad.message} (witness ${opened.witness}). The store was ` +
        `${
          bad.kind.replace("_", " ")
        }; nothing was run. Investigate before using it (README "Threat model")`,
      { kind: bad.kind },
    );
  }
  const tick = () => {
    try {
      opened.checkpointer.tick();
    } catch (e) {
      logger.log("warn", "cannot write an audit checkpoint to the witness", {
        witness: opened.witness,
        error: String(e),
      });
    }
  };
  const timer = setInterval(tick, config.audit.checkpoint_interval_ms);
  (timer as { unref?: () => void }).unref?.();
  return {
    ...opened,
    stop() {
      clearInterval(timer);
      tick();
    },
  };
}
