/**
 * `warrant store rotate-key`: re-encrypt every stored payload under a new
 * data key, verify it, and record the new key-check value — one transaction,
 * so a failure leaves the store readable with the old key.
 */
import { WarrantError } from "../../core/errors.ts";
import { configPath } from "./approval.ts";
import { EXIT, printJson, requireFlag, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";

export const rotateKeyVerb: Verb = {
  name: "store rotate-key",
  summary: "re-encrypt the store under a new data key, and verify it",
  help: `warrant store rotate-key — re-encrypt every stored payload under a new data key

Usage: warrant store rotate-key --new-key-env VAR [--config FILE] [--json]

Reads the current key from the variable named by store.encryption_key_env
and the new one from VAR (64 hex digits or base64 of 32 bytes; keys never
go on the command line). Every argument, output and tool text is decoded
with the current key and sealed with the new one, the new key-check value is
recorded with a store.key_rotated event, and every payload is decrypted
again with the new key before the transaction commits. Stop gates and
servers first; afterwards give them the new key (a process still holding the
old one is refused with data_key_mismatch).

Example:
  WARRANT_NEW_DATA_KEY=$(openssl rand -base64 32) \\
    warrant store rotate-key --new-key-env WARRANT_NEW_DATA_KEY --config warrant.json`,
  flags: { config: { type: "string" }, "new-key-env": { type: "string" } },
  async run(args, io) {
    const varName = requireFlag(args, "new-key-env", "the variable holding the new key");
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(varName)) {
      throw new UsageError(
        `--new-key-env takes a variable name, not a key ("${varName.slice(0, 8)}…")`,
      );
    }
    const next = io.runtime.dataCodec(varName, io.env);
    const env = io.runtime.open(configPath(args, io), io);
    try {
      if (!env.config.store.encryption_key_env) {
        throw new WarrantError(
          "config_invalid",
          `store.encryption_key_env is not set in ${env.config.file}: name the variable that ` +
            `will hold the new key there first, then rotate`,
        );
      }
      const r = env.store.rotateKey(next, env.clock.now());
      if (args.flags.json) printJson(io, { rotated: true, actions: r.actions });
      else {
        io.out(
          `re-encrypted and verified ${r.actions} action(s) under the key in ${varName}; ` +
            `now set ${env.config.store.encryption_key_env} to that key for every warrant process`,
        );
      }
      return EXIT.ok;
    } finally {
      await env.close();
    }
  },
};

/** The store verbs, registered by verbs.ts. */
export const storeVerbs: Verb[] = [rotateKeyVerb];
