/**
 * `warrant policy verify FILE (--config C | --signer ID=KEY... [--threshold N])`:
 * verify FILE.sig exactly as the gate would at start, then parse, compile and
 * check the policy's expiry.
 */
import { resolve } from "node:path";
import { parseConfig, storeLocator } from "../../app/config.ts";
import { loadPolicy } from "../../app/policy-loader.ts";
import { storeVersionGuard } from "../../app/policy-holder.ts";
import { InMemoryPolicyVersions } from "../../app/policy-versions-memory.ts";
import type { PolicyVersionGuard } from "../../app/ports/policy-source.ts";
import type { Store } from "../../app/ports/store.ts";
import { WarrantError } from "../../core/errors.ts";
import type { PolicySigner } from "../../core/policy-signature.ts";
import { EXIT, flagString, printJson, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";
import { readBytesOrNull } from "../key-files.ts";

function signersFromFlags(values: string[]): PolicySigner[] {
  return values.map((v) => {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UsageError(`--signer ${JSON.stringify(v)}: expected ID=ed25519:BASE64`);
    return { id: v.slice(0, eq), public_key: v.slice(eq + 1) };
  });
}

export const policyVerifyVerb: Verb = {
  name: "policy verify",
  summary: "Verify a policy's signatures as the gate would (and that it compiles)",
  help: [
    "Usage: warrant policy verify FILE [--config warrant.json] [--json]",
    "       warrant policy verify FILE --signer ID=ed25519:KEY [--signer ...] [--threshold N]",
    "",
    "Checks FILE.sig against the trusted signers (trust.policy_signers and",
    "trust.policy_threshold of the config, or the --signer/--threshold flags),",
    "then parses and compiles FILE and checks its expiry, and, with a config whose",
    "store exists, rollback against the versions that store accepted (an older",
    "version, or the same version with other content). Exit 0 when the gate would",
    "load it. --config defaults to $WARRANT_CONFIG, then ./warrant.json.",
    "",
    "Example:",
    "  warrant policy verify policies/acme.policy.json --config warrant.json",
  ].join("\n"),
  flags: {
    config: { type: "string" },
    signer: { type: "string", multiple: true },
    threshold: { type: "string" },
  },
  async run(args, io) {
    const path = args.positionals[0];
    if (!path || args.positionals.length > 1) {
      throw new UsageError("expected exactly one policy FILE");
    }
    const flagSigners = (args.flags.signer as string[] | undefined) ?? [];
    const configPath = flagString(args, "config") ??
      (flagSigners.length ? undefined : io.env.WARRANT_CONFIG ?? "warrant.json");
    let store: Store | null = null;
    let versions: PolicyVersionGuard = new InMemoryPolicyVersions();
    let against = "no store checked for rollback (--signer mode)";
    let signers: PolicySigner[];
    let threshold: number;
    if (configPath !== undefined) {
      if (flagSigners.length) throw new UsageError("use either --config or --signer, not both");
      const cfgFile = resolve(io.cwd, configPath);
      let text: string;
      try {
        text = io.runtime.files.readText(cfgFile);
      } catch {
        throw new WarrantError("config_not_found", `Cannot load config ${cfgFile}: no such file`);
      }
      const config = parseConfig(text, cfgFile);
      signers = config.trust.policy_signers;
      // Rollback, as the gate checks it: against the versions this store accepted.
      if (config.store.postgres || io.runtime.files.exists(config.store.path)) {
        store = io.runtime.openAuditStore(storeLocator(config), io.env);
        versions = storeVersionGuard(store, config.project, true);
        against = `rollback checked against ${storeLocator(config)}`;
      } else against = `no store at ${config.store.path} yet: nothing to roll back from`;
      threshold = flagString(args, "threshold") !== undefined
        ? Number(flagString(args, "threshold"))
        : config.trust.policy_threshold;
    } else {
      if (!flagSigners.length) {
        throw new UsageError("pass --config FILE or at least one --signer ID=KEY");
      }
      signers = signersFromFlags(flagSigners);
      threshold = Number(flagString(args, "threshold") ?? "1");
    }
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new UsageError("--threshold must be an integer >= 1");
    }
    const file = resolve(io.cwd, path);
    let r: ReturnType<typeof loadPolicy>;
    try {
      r = loadPolicy({
        file,
        readFile: (p) => readBytesOrNull(io.runtime.files, p),
        signers,
        threshold,
        allowUnsigned: false,
        versions,
        now: Date.now(),
      });
    } finally {
      store?.close();
    }
    for (const w of r.warnings) io.err(`warrant: ${w}`);
    const summary = {
      ok: true,
      file,
      policy: r.policy.id,
      version: r.policy.version,
      sha256: r.sha256,
      signers: r.signers,
      threshold,
      warnings: r.warnings,
      rollback: against,
    };
    if (args.flags.json) printJson(io, summary);
    else {
      io.out(
        `OK ${file}: policy ${r.policy.id} v${r.policy.version}, sha256 ${r.sha256}, ` +
          `signed by ${r.signers.join(", ")} (threshold ${threshold}); ${against}`,
      );
    }
    return EXIT.ok;
  },
};
