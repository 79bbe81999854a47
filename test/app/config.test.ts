import { describe, expect, test } from "bun:test";
import { parseConfig, resolvePath } from "../../src/app/config.ts";
import { isWarrantError } from "../../src/core/errors.ts";

const KEY = "ed25519:" + "A".repeat(43) + "=";
const minimal = {
  project: "acme",
  policy: { file: "policies/acme.policy.json" },
  trust: { policy_signers: [{ id: "ops", public_key: KEY }] },
};

function refusal(raw: unknown): string {
  try {
    parseConfig(typeof raw === "string" ? raw : JSON.stringify(raw), "/srv/acme/warrant.json");
  } catch (e) {
    if (isWarrantError(e, "config_invalid")) return e.message;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("config", () => {
  test("defaults, and relative paths resolve against the config's folder", () => {
    const c = parseConfig(JSON.stringify(minimal), "/srv/acme/warrant.json");
    expect(c.store.path).toBe("/srv/acme/.warrant/warrant.db");
    expect(c.policy.file).toBe("/srv/acme/policies/acme.policy.json");
    expect(c.policy.allow_unsigned).toBe(false);
    expect(c.gate.tool_exec_timeout_ms).toBe(120_000);
    expect(c.gate.default_hold_timeout_ms).toBe(900_000);
    expect(c.http.listen).toBe("127.0.0.1:8787");
  });

  test("the SPEC example parses", () => {
    const c = parseConfig(
      JSON.stringify({
        project: "acme",
        store: { path: ".warrant/warrant.db", encryption_key_env: "WARRANT_DATA_KEY" },
        policy: { file: "policies/acme.policy.json", allow_unsigned: false },
        trust: { policy_signers: [{ id: "ops", public_key: KEY }], policy_threshold: 1 },
        gate: { tool_exec_timeout_ms: 120000, default_hold_timeout_ms: 900000 },
        http: { listen: "127.0.0.1:8787", token_env: "WARRANT_HTTP_TOKEN" },
        tools: { deploy: { command: ["./scripts/deploy.sh", "{env}"], timeout_ms: 600000 } },
      }),
      "/etc/warrant/warrant.json",
    );
    expect(c.tools.deploy!.command).toEqual(["./scripts/deploy.sh", "{env}"]);
    expect(c.store.encryption_key_env).toBe("WARRANT_DATA_KEY");
  });

  test.each([
    ["not JSON", "{", /Invalid JSON at line 1, column \d+ \(offset \d+\)/],
    [
      "missing project",
      { policy: { file: "p.json" }, trust: minimal.trust },
      /project: .*set "project"/,
    ],
    [
      "unknown field",
      { ...minimal, polcy: {} },
      /polcy: unknown field "polcy" \(did you mean "policy"\?\); rename it/,
    ],
    [
      "unknown nested field",
      { ...minimal, gate: { tool_timeout: 5 } },
      /gate\.tool_timeout: unknown field/,
    ],
    ["bad key", {
      ...minimal,
      trust: { policy_signers: [{ id: "ops", public_key: "ed25519:short" }] },
    }, /trust\.policy_signers\[0\]\.public_key/],
    ["too few signers for the threshold", {
      ...minimal,
      trust: { policy_signers: [], policy_threshold: 1 },
    }, /policy_threshold is 1/],
    ["duplicate signer ids", {
      ...minimal,
      trust: { policy_signers: [{ id: "ops", public_key: KEY }, { id: "ops", public_key: KEY }] },
    }, /duplicate signer id "ops"/],
    ["one key under two signer ids", {
      ...minimal,
      trust: {
        policy_signers: [{ id: "ops", public_key: KEY }, { id: "ops2", public_key: KEY }],
        policy_threshold: 2,
      },
    }, /signers "ops" and "ops2" have the same public key/],
    ["a witness inside the store's folder", {
      ...minimal,
      store: { path: "data/warrant.db" },
      audit: { checkpoint_key: "k.key", witness: "data/witness" },
    }, /audit\.witness .* is the store's folder or inside it/],
    [
      "negative timeout",
      { ...minimal, gate: { tool_exec_timeout_ms: -1 } },
      /gate\.tool_exec_timeout_ms/,
    ],
    ["bad listen", { ...minimal, http: { listen: "nope" } }, /http\.listen/],
  ])("%s is refused with the file, the path and a fix", (_name, raw, re) => {
    const m = refusal(raw);
    expect(m).toContain("/srv/acme/warrant.json");
    expect(m).toMatch(re);
  });

  test("allow_unsigned needs no signers", () => {
    const c = parseConfig(
      JSON.stringify({ project: "p", policy: { file: "x.json", allow_unsigned: true } }),
      "/a/w.json",
    );
    expect(c.trust.policy_signers).toEqual([]);
  });

  test("resolvePath", () => {
    expect(resolvePath("/a/b", "../c/./d")).toBe("/a/c/d");
    expect(resolvePath("/a/b", "/abs")).toBe("/abs");
  });
});

describe("config mistakes a person makes", () => {
  test("a misspelt section is named, with the one it was meant to be", () => {
    const { policy, ...rest } = minimal;
    expect(refusal({ ...rest, polcy: policy })).toBe(
      'Cannot load config /srv/acme/warrant.json: polcy: unknown field "polcy" (did you mean "policy"?); rename it',
    );
    expect(refusal({ ...minimal, gate: { heartbeat: 500 } })).toContain(
      'gate.heartbeat: unknown field "heartbeat" (did you mean "heartbeat_ms"?)',
    );
    expect(refusal({ ...minimal, nonsense: 1 })).toContain(
      'unknown field "nonsense"; remove the field',
    );
  });

  test("broken JSON is reported with its line and column", () => {
    const text = '{"project": "acme",\n  "policy": {"file": "p.json"}\n  "trust": {}}';
    expect(refusal(text)).toMatch(
      /Invalid JSON at line 3, column \d+ \(offset \d+\): expected , or \}/,
    );
  });
});

test("zod's English messages without its classic API loaded (the schemas use zod/mini)", () => {
  // A process that loads only the config module: no classic zod to install the locale.
  const code = `import { parseConfig } from ${
    JSON.stringify(`${import.meta.dir}/../../src/app/config.ts`)
  };
    try { parseConfig(JSON.stringify({ project: "", policy: { file: "p" } }), "/x/w.json"); }
    catch (e) { console.log(e.message); }`;
  const r = Bun.spawnSync([process.execPath, "-e", code]);
  expect(r.stdout.toString().trim()).toBe(
    "Cannot load config /x/w.json: project: Too small: expected string to have >=1 characters; " +
      'set "project": "your-project-name"',
  );
});
