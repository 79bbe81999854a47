/**
 * `warrant import lodestar --config lodestar.json`: write warrant.json and
 * an unsigned warrant policy from a Lodestar runtime-gate config (and its
 * policy), and print what was translated, what was not, and why. The
 * translation itself is app/lodestar/translate.ts.
 */
import type { Files } from "../../app/ports/files.ts";
import { dirname, relative, resolve } from "node:path";
import { WarrantError } from "../../core/errors.ts";
import { formatPublicKey, parsePublicKey, parseSecretKeyFile } from "../../core/keys.ts";
import {
  LodestarConfigSchema,
  lodestarCrossFieldProblems,
  LodestarPolicySchema,
  parseLodestar,
} from "../../app/lodestar/schema.ts";
import type { LodestarPolicy } from "../../app/lodestar/schema.ts";
import { translateLodestar } from "../../app/lodestar/translate.ts";
import type { ReportItem } from "../../app/lodestar/translate.ts";
import { EXIT, printJson, requireFlag, UsageError } from "../io.ts";
import type { Verb } from "../io.ts";

/** JSON with 2-space indent, arrays of scalars kept on one line (easier to review). */
function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(
    /\[\n\s*((?:"(?:[^"\\]|\\.)*"|-?[\d.e+]+|true|false|null)(?:,\n\s*(?:"(?:[^"\\]|\\.)*"|-?[\d.e+]+|true|false|null))*)\n\s*\]/g,
    (_, items: string) => `[${items.split(/,\n\s*/).join(", ")}]`,
  ) + "\n";
}

function readJson(fs: Files, file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readText(file);
  } catch (e) {
    const missing = (e as { code?: string }).code === "ENOENT";
    throw new WarrantError(
      missing ? "config_not_found" : "config_invalid",
      `Cannot read ${what} ${file}: ${missing ? "no such file" : (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WarrantError(
      "config_invalid",
      `Cannot import ${file}: not valid JSON (${(e as Error).message})`,
    );
  }
}

/** KEY of `--approver ID=KEY`: ed25519:BASE64, or a file (public PEM, warrant key file, PKCS#8). */
function publicKeyArg(fs: Files, value: string, cwd: string, flag: string): string {
  if (value.startsWith("ed25519:")) return formatPublicKey(parsePublicKey(value));
  const file = resolve(cwd, value);
  if (!fs.exists(file)) {
    throw new WarrantError(
      "not_found",
      `${flag}: ${file}: no such file; give ed25519:BASE64 (as warrant keygen prints) or a key file`,
    );
  }
  const text = fs.readText(file).trim();
  if (text.startsWith("-----BEGIN PUBLIC KEY-----") || text.startsWith("ed25519:")) {
    return formatPublicKey(parsePublicKey(text));
  }
  return formatPublicKey(parseSecretKeyFile(text, file).publicKey);
}

function approverArgs(
  fs: Files,
  values: string[],
  cwd: string,
): Array<{ id: string; key: string }> {
  return values.map((v) => {
    const eq = v.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`--approver ${v}: write ID=KEY (KEY: ed25519:BASE64 or a key file)`);
    }
    return { id: v.slice(0, eq), key: publicKeyArg(fs, v.slice(eq + 1), cwd, `--approver ${v}`) };
  });
}

const HELP = `warrant import lodestar — move a Lodestar runtime gate over to warrant

Usage: warrant import lodestar --config lodestar.json [--out DIR]
         [--approver ID=KEY]... [--signer-key FILE] [--force] [--json]

Reads Lodestar's RuntimeGateConfig (and the policy its "policy.file" names,
or its auto_approve_ceiling preset) and writes, in DIR (default: here):
  warrant.json                   project, policy file, trusted signer, gate timeouts
  policies/NAME.policy.json      the policy, UNSIGNED: review it, then sign it
Each tool in tool_defaults gets exactly the decision Lodestar gives it
(first matching rule, L4 always held, L5 always denied); other tools are
denied by default. approval_timeout_ms 0 becomes hold_timeout: 0 (a hold is
rejected at once). Then it prints what it translated, what it could not, and why.

Flags:
  --config FILE       the Lodestar config (JSON)
  --out DIR           where to write (default: the current folder)
  --approver ID=KEY   an approver to add (KEY: ed25519:BASE64, a public PEM or
                      a key file); needed when the config pins no key but holds
  --signer-key FILE   the key you will sign the policy with: its public key
                      goes into trust.policy_signers
  --force             overwrite existing files
  --json              print {written, verdicts, report} as JSON

Example:
  warrant keygen --id ops --out ops.key
  warrant import lodestar --config lodestar.json --signer-key ops.key
  warrant policy sign policies/payments.policy.json --key ops.key
  warrant runtime gate -c warrant.json      # what GateClient(..., launcher=["warrant"]) spawns`;

export const importLodestarVerb: Verb = {
  name: "import lodestar",
  summary: "translate a Lodestar runtime-gate config and policy into warrant.json + a policy",
  help: HELP,
  flags: {
    config: { type: "string", short: "c" },
    out: { type: "string" },
    approver: { type: "string", multiple: true },
    "signer-key": { type: "string" },
    force: { type: "boolean" },
  },
  async run(args, io) {
    const file = resolve(io.cwd, requireFlag(args, "config", "the Lodestar config file"));
    const fs = io.runtime.files;
    const raw = readJson(fs, file, "Lodestar config");
    const config = parseLodestar(LodestarConfigSchema, raw, file);
    const problems = lodestarCrossFieldProblems(config);
    if (problems.length > 0) {
      throw new WarrantError(
        "config_invalid",
        `Cannot import ${file}: ${problems[0]} (Lodestar refuses this config too)`,
      );
    }
    let policy: LodestarPolicy | null = null;
    if (config.policy) {
      const pfile = resolve(dirname(file), config.policy.file);
      policy = parseLodestar(LodestarPolicySchema, readJson(fs, pfile, "Lodestar policy"), pfile);
    }
    let signer: { id: string; public_key: string } | null = null;
    const signerKey = args.flags["signer-key"];
    if (typeof signerKey === "string") {
      const kf = resolve(io.cwd, signerKey);
      if (!fs.exists(kf)) throw new WarrantError("not_found", `--signer-key ${kf}: no such file`);
      const k = parseSecretKeyFile(fs.readText(kf), kf);
      signer = { id: k.id ?? "ops", public_key: formatPublicKey(k.publicKey) };
    }
    const result = translateLodestar({
      config,
      rawKeys: raw !== null && typeof raw === "object" ? Object.keys(raw) : [],
      policy,
      extraApprovers: approverArgs(fs, (args.flags.approver as string[] | undefined) ?? [], io.cwd),
      signer,
    });

    const out = resolve(io.cwd, typeof args.flags.out === "string" ? args.flags.out : ".");
    const configOut = resolve(out, "warrant.json");
    const policyOut = resolve(out, result.policyFile);
    for (const f of [configOut, policyOut]) {
      if (fs.exists(f) && !args.flags.force) {
        throw new WarrantError(
          "invalid_argument",
          `Refusing to overwrite ${f}; pass --force, or --out another folder`,
        );
      }
    }
    fs.mkdirp(dirname(policyOut));
    fs.writeText(policyOut, pretty(result.policy));
    fs.writeText(configOut, pretty(result.config));
    const rel = (f: string) => {
      const r = relative(io.cwd, f);
      return r === "" ? "." : r.startsWith("..") ? f : r;
    };
    if (!signer) {
      result.report.push({
        field: "(signer)",
        status: "note",
        detail:
          "warrant.json trusts no policy signer yet: the gate refuses to start until you add " +
          "one (import again with --signer-key FILE, or edit trust.policy_signers)",
      });
    }
    if (args.flags.json) {
      printJson(io, {
        written: [configOut, policyOut],
        verdicts: result.verdicts,
        report: result.report,
      });
      return EXIT.ok;
    }
    io.out(`Imported ${rel(file)} (Lodestar project ${config.project_id}):`);
    io.out(`  wrote ${rel(configOut)}`);
    io.out(`  wrote ${rel(policyOut)} (unsigned: review it, then sign it)`);
    io.out("");
    io.out("Decisions, per tool in tool_defaults (the same as Lodestar's):");
    const w = Math.max(4, ...result.verdicts.map((v) => v.tool.length));
    for (const v of result.verdicts) {
      io.out(`  ${v.tool.padEnd(w)}  ${v.effect.padEnd(5)}  ${v.reason}`);
    }
    io.out("  (any other tool: deny, warrant's default)");
    printSection(io, "Translated:", result.report.filter((r) => r.status === "translated"));
    printSection(
      io,
      "Not translated, and why:",
      result.report.filter((r) => r.status === "not_translated"),
    );
    printSection(io, "Notes:", result.report.filter((r) => r.status === "note"));
    io.out("");
    io.out("Next:");
    io.out(`  warrant policy check ${rel(policyOut)}`);
    io.out(
      `  warrant policy sign ${rel(policyOut)} --key ${
        typeof signerKey === "string" ? signerKey : "ops.key"
      }`,
    );
    io.out(
      `  warrant runtime gate -c ${rel(configOut)}   # or GateClient("${
        rel(configOut)
      }", launcher=["warrant"])`,
    );
    return EXIT.ok;
  },
};

function printSection(io: { out(l: string): void }, title: string, items: ReportItem[]): void {
  if (items.length === 0) return;
  io.out("");
  io.out(title);
  const w = Math.min(28, Math.max(...items.map((i) => i.field.length)));
  for (const i of items) {
    io.out(
      i.field.length > w
        ? `  ${i.field}\n  ${"".padEnd(w)}  ${i.detail}`
        : `  ${i.field.padEnd(w)}  ${i.detail}`,
    );
  }
}

/** The import verbs, registered by all.ts. */
export const importVerbs: Verb[] = [importLodestarVerb];
