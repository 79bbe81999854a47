/**
 * Coming from Lodestar: `warrant import lodestar` on configs written from
 * lodestar-reference.md (its LangGraph e2e config; a payments config whose
 * policy uses every match field, rule effect, trust level L0–L5 and
 * approval field; the minimal config with the default approval_timeout_ms
 * 0), each signed and started with `runtime gate -c`; every declared tool
 * decided as Lodestar decides it (expected tables written by hand from the
 * reference, §4.2); then governed sessions through the real published
 * Python client with the imported config.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GateClient } from "../../src/client/gate-client.ts";
import { BINARY, ensureBinary, ROOT, runCli } from "./harness.ts";

const VECTORS = join(ROOT, "test/vectors/lodestar");
const VENDOR = join(ROOT, "../shared/vendor/lodestar-runtime-client-0.5.0");
const hasPython = spawnSync("python3", ["--version"]).status === 0;
const hasVendor = existsSync(join(VENDOR, "lodestar_runtime_client/client.py"));

type Expect = "completed" | "rejected:policy_denied" | "pending" | "rejected:approval_required";

/** What Lodestar decides for each declared tool (reference §4.2), by hand. */
const CASES: Record<string, { args: string[]; expect: Record<string, Expect> }> = {
  // No policy: the preset, ceiling L3; 300 ms holds; unsigned approvals (so --approver).
  langgraph: {
    args: ["--approver", `alice=${join(VECTORS, "alice.key.pem")}`],
    expect: { echo: "completed", deploy: "pending" },
  },
  payments: {
    args: [],
    expect: {
      lookup_invoice: "completed", // L0, rules[1]: glob + max_blast_radius + data_sensitivity
      draft_email: "completed", // L1, rules[2]: reversibility + scope + required_level_lte
      scratch: "completed", // L2, rules[2]
      update_ledger: "pending", // L3, rules[6] require_approval
      refund: "pending", // L3, rules[3] require_approval with required_authority
      purge_cache: "rejected:policy_denied", // L3, no rule: structural deny
      send_payment: "pending", // L4, an allow rule cannot lift the floor
      close_account: "rejected:policy_denied", // L4, deny rule
      wire_transfer: "rejected:policy_denied", // L4, rules[0] deny
      rotate_keys: "pending", // L4, no rule: floor hold
      self_destruct: "rejected:policy_denied", // L5
      not_declared: "rejected:policy_denied", // not in tool_defaults: warrant's default deny
    },
  },
  // approval_timeout_ms defaults to 0: a hold is a terminal rejection (hold_timeout: 0).
  strict: {
    args: [],
    expect: {
      read_file: "completed", // L0 ≤ preset ceiling 2
      write_file: "rejected:policy_denied", // L3 > ceiling: structural deny
      deploy: "rejected:approval_required", // L4 hold, rejected at once
    },
  },
};

let dir: string;
let bin: string;
const imported: Record<string, { config: string; stdout: string }> = {};

beforeAll(async () => {
  bin = await ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "warrant-import-"));
  // Secret key files must be private to their owner (git does not keep 0600).
  copyFileSync(join(VECTORS, "alice.key.pem"), join(dir, "alice.key.pem"));
  chmodSync(join(dir, "alice.key.pem"), 0o600);
  const key = await runCli(["keygen", "--id", "ops", "--out", join(dir, "ops.key")]);
  expect(key.code).toBe(0);
  for (const [name, c] of Object.entries(CASES)) {
    const out = join(dir, name);
    const r = await runCli([
      "import",
      "lodestar",
      "--config",
      join(VECTORS, `${name}.config.json`),
      "--out",
      out,
      "--signer-key",
      join(dir, "ops.key"),
      ...c.args,
    ]);
    if (r.code !== 0) throw new Error(`import ${name} failed: ${r.stderr}`);
    const policy = JSON.parse(readFileSync(join(out, "warrant.json"), "utf8")).policy.file;
    const check = await runCli(["policy", "check", join(out, policy)]);
    expect(check.stderr + check.stdout).toContain("OK");
    const sign = await runCli(["policy", "sign", join(out, policy), "--key", join(dir, "ops.key")]);
    expect(sign.code).toBe(0);
    imported[name] = { config: join(out, "warrant.json"), stdout: r.stdout };
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("warrant import lodestar", () => {
  for (const [name, c] of Object.entries(CASES)) {
    test(
      `${name}: the gate starts with -c and decides every declared tool as Lodestar does`,
      async () => {
        const gate = await GateClient.spawn(
          [bin, "runtime", "gate", "-c", imported[name]!.config],
          {
            cwd: dir,
          },
        );
        try {
          const got: Record<string, Expect> = {};
          for (const tool of Object.keys(c.expect)) {
            await gate.registerTool(tool, () => ({ ran: tool }));
            const r = await gate.govern(tool, { n: 1 });
            got[tool] = r.phase === "pending_approval"
              ? "pending"
              : r.phase === "completed"
              ? "completed"
              : (`${r.phase}:${(r as { kind?: string }).kind}` as Expect);
          }
          expect(got).toEqual(c.expect);
        } finally {
          await gate.close();
        }
      },
      60_000,
    );
  }

  test("the report says what was not translated, and why", () => {
    const out = imported.payments!.stdout;
    for (
      const line of [
        "Not translated, and why:",
        "rules[3].approval.required_authority",
        "sentinels",
        "persistence",
        "approvals.channel",
        "dashboard_port", // a field Lodestar itself strips
        "tool_exec_timeout_ms",
        '"lookup_invoice" never matches a runtime-gate tool in Lodestar',
      ]
    ) expect(out).toContain(line);
    expect(imported.strict!.stdout).toContain("0 → hold_timeout: 0");
    expect(imported.langgraph!.stdout).toContain("approvals.allow_unsigned");
  });

  test("a config that pins no key but holds needs --approver (warrant only takes signed approvals)", async () => {
    const r = await runCli([
      "import",
      "lodestar",
      "--config",
      join(VECTORS, "langgraph.config.json"),
      "--out",
      join(dir, "no-approver"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--approver alice=alice.key");
    expect(existsSync(join(dir, "no-approver/warrant.json"))).toBe(false);
  });

  test("warrant.json refuses a Lodestar config with the import command to run", async () => {
    const r = await runCli(["runtime", "gate", "-c", join(VECTORS, "payments.config.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("warrant import lodestar --config");
  });
});

describe("a governed session through the real lodestar-runtime-client 0.5.0", () => {
  const skip = !hasPython || !hasVendor;
  if (skip) {
    console.warn(
      `SKIP lodestar-runtime-client sessions: ${
        !hasPython ? "python3 is not on PATH" : `${VENDOR} is not there`
      }`,
    );
  }
  const session = (spec: Record<string, unknown>, env: Record<string, string> = {}) => {
    const r = spawnSync(
      "python3",
      [
        join(ROOT, "test/clients/lodestar_session.py"),
        JSON.stringify({ vendor: VENDOR, binary: bin, ...spec }),
      ],
      { encoding: "utf8", timeout: 60_000, cwd: dir, env: { ...process.env, ...env } },
    );
    if (r.status !== 0) throw new Error(`python session failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      results: Array<Record<string, unknown>>;
      ran: string[];
    };
  };

  test.skipIf(skip)(
    "payments: allow runs, deny does not, a held payment runs once after alice approves",
    () => {
      const s = session({
        config: imported.payments!.config,
        tools: ["lookup_invoice", "wire_transfer", "send_payment"],
        steps: [
          { govern: "lookup_invoice", args: { id: 7 } },
          { govern: "wire_transfer", args: { amount: 1 } },
          { govern: "send_payment", args: { amount: 250, to: "ACME" } },
          { approve: join(dir, "alice.key.pem"), as: "alice" }, // a PKCS#8 PEM, as lodestar approve keygen writes
          { resume: 10_000 },
          { resume: null },
        ],
      });
      const [, , , lookup, wire, held, approve, resumed, again] = s.results;
      expect(lookup).toMatchObject({ phase: "completed", output: { tool: "lookup_invoice" } });
      expect(wire).toMatchObject({ phase: "rejected", kind: "policy_denied" });
      expect(held).toMatchObject({ phase: "pending_approval" });
      expect(approve).toMatchObject({ approve_exit: 0 });
      expect(resumed).toMatchObject({ phase: "completed", output: { tool: "send_payment" } });
      expect(again).toMatchObject({ phase: "completed" });
      expect(s.ran).toEqual(["lookup_invoice", "send_payment"]);
    },
    90_000,
  );

  test.skipIf(skip)(
    "langgraph, hook code unchanged (a `lodestar` symlink on PATH): echo runs; deploy held 300 ms, then approval_timeout",
    () => {
      const bin = join(dir, "bin");
      mkdirSync(bin, { recursive: true });
      symlinkSync(BINARY, join(bin, "lodestar"));
      const s = session({
        default_launcher: true,
        config: imported.langgraph!.config,
        tools: ["echo", "deploy"],
        steps: [
          { govern: "echo", args: { text: "hi" } },
          { govern: "deploy", args: { env: "prod" } },
          { resume: null, sleep_ms: 600 },
        ],
      }, { PATH: `${bin}:${process.env.PATH}` });
      const [, , echo, held, late] = s.results;
      expect(echo).toMatchObject({ phase: "completed", output: { args: { text: "hi" } } });
      expect(held).toMatchObject({ phase: "pending_approval" });
      expect(late).toMatchObject({ phase: "rejected", kind: "approval_timeout" });
      expect(s.ran).toEqual(["echo"]);
    },
    90_000,
  );
});
