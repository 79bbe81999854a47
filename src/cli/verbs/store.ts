/**
 * `warrant store rotate-key`: re-encrypt every stored payload under a new
 * data key, verify it, and record the new key-check value — one transaction,
 * so a failure leaves the store readable with the old key. `warrant store
 * copy`: move a store between SQLite and PostgreSQL (runtime/store-copy.ts).
 */
import { isWarrantError, WarrantError } from "../../core/errors.ts";
import { configPath } from "./approval.ts";
import { EXIT, flagString, printJson, requireFlag, UsageError } from "../io.ts";
import { progress } from "../progress.ts";
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

On a large store this takes a while: progress goes to stderr once a second
(after the first), as JSON log lines with --json; stdout has only the final
summary ({"rotated","actions","verified","seconds"} with --json).

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
      // Progress on stderr once a second after the first (a large store takes
      // minutes): text lines, or JSON log lines with --json; stdout keeps only
      // the final summary.
      const json = args.flags.json === true;
      const report = {
        "re-encrypt": progress(io, "store rotate-key", "actions re-encrypted", undefined, { json }),
        verify: progress(io, "store rotate-key", "actions verified", undefined, { json }),
      };
      const t0 = env.clock.now();
      const r = env.store.rotateKey(
        next,
        t0,
        (phase, done, total) => report[phase](done, total),
      );
      if (json) {
        printJson(io, {
          rotated: true,
          actions: r.actions,
          verified: r.actions,
          seconds: (env.clock.now() - t0) / 1000,
        });
      } else {
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

export const copyVerb: Verb = {
  name: "store copy",
  summary: "copy a store between SQLite and PostgreSQL with its chain intact",
  help: `warrant store copy — copy a store between SQLite and PostgreSQL, chain intact

Usage: warrant store copy --from STORE --to STORE [--config FILE] [--json]

STORE is a SQLite file, "postgres" (the config's store.postgres, else
$WARRANT_DATABASE_URL and schema "warrant"), or postgres:URL_ENV/SCHEMA.
The URL is only ever read from the environment.

Every row is copied as stored (events with their hashes, payloads as the
ciphertext they are, the store's id and chain head), in one transaction on
the target, which must be empty; then the copy's audit chain is verified and
its head compared with the source's. The copy is the same store: the same
data key opens it and a witness's checkpoints still apply. Stop every gate
and server first, copy, switch the config, start them again; keep the source
as a backup and never write to both.

Progress goes to stderr every second; --json prints the report.

Examples:
  WARRANT_DATABASE_URL=postgres://warrant:...@db:5432/warrant \
    warrant store copy --from .warrant/warrant.db --to postgres --config warrant.json
  warrant store copy --from postgres --to restored.db`,
  flags: { config: { type: "string" }, from: { type: "string" }, to: { type: "string" } },
  run(args, io) {
    const from = requireFlag(args, "from", "the store to copy (a .db file or postgres)");
    const to = requireFlag(args, "to", "the empty store to copy into (a .db file or postgres)");
    const named = flagString(args, "config") ?? (io.env.WARRANT_CONFIG || undefined);
    let config = null;
    try {
      config = io.runtime.loadConfig(named ?? "warrant.json", io.cwd);
    } catch (e) {
      if (named || !isWarrantError(e, "config_not_found")) throw e;
    }
    const tick = progress(io, "store copy", "rows");
    const r = io.runtime.copyStore({
      from,
      to,
      config,
      cwd: io.cwd,
      env: io.env,
      onProgress: (done, total) => tick(done, total),
    });
    if (args.flags.json) printJson(io, { copied: true, ...r });
    else {
      io.out(
        `copied ${r.events} event(s) and ${
          r.rows.actions ?? 0
        } action(s) from ${r.from} to ${r.to}; ` +
          `audit verify passed on the copy (${r.verified} events, head seq ${r.head.seq} ` +
          `${r.head.hash.slice(0, 16)}…, the same as the source)`,
      );
    }
    return Promise.resolve(EXIT.ok);
  },
};

/** The store verbs, registered by verbs.ts. */
export const storeVerbs: Verb[] = [rotateKeyVerb, copyVerb];
