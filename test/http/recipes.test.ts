/**
 * README "Approving over HTTP": the Python (stdlib + cryptography) and the
 * TypeScript recipes in docs/recipes/ — which the README shows verbatim —
 * run against the compiled `warrant serve`: alice approves with a warrant
 * key file from Python, carol with a PKCS#8 PEM from TypeScript, and the
 * request is approved; carol denies another one from Python; a refusal is
 * reported with its problem code.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatKeyFile, formatPkcs8Pem } from "../../src/core/keys.ts";
import { ROOT } from "../e2e/harness.ts";
import type { Workspace } from "../e2e/harness.ts";
import { auth, holdPayment, httpWorkspace, startServe, TOKEN } from "./serve-harness.ts";
import type { Served } from "./serve-harness.ts";
import { seedOf } from "./signer.ts";

const PY = join(ROOT, "docs/recipes/approve.py");
// The Python recipe needs python3 and its `cryptography` package; without them
// the tests that run it skip, saying why (the README check still runs).
const pythonReady = spawnSync("python3", ["-c", "import cryptography"]).status === 0;
if (!pythonReady) {
  console.warn(
    "SKIP the Python approval recipe: python3 (with the cryptography package) is not available",
  );
}
const TS = join(ROOT, "docs/recipes/approve.ts");
let ws: Workspace;
let srv: Served;
let keys: { alice: string; carol: string; bob: string };

beforeAll(async () => {
  ws = await httpWorkspace();
  srv = await startServe(ws);
  keys = {
    alice: join(ws.dir, "alice.key"),
    carol: join(ws.dir, "carol.pem"),
    bob: join(ws.dir, "bob.key"),
  };
  writeFileSync(keys.alice, formatKeyFile("alice", seedOf("alice")), { mode: 0o600 });
  writeFileSync(keys.carol, formatPkcs8Pem(seedOf("carol")), { mode: 0o600 });
  writeFileSync(keys.bob, formatKeyFile("bob", seedOf("bob")), { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  expect(await srv.stop()).toBe(0);
  ws.cleanup();
});

function run(cmd: string[]) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    env: { ...process.env, WARRANT_HTTP_TOKEN: TOKEN },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const python = (...a: string[]) => run(["python3", PY, srv.url, ...a]);
const typescript = (...a: string[]) => run([process.execPath, TS, srv.url, ...a]);

async function state(id: string) {
  const r = await fetch(`${srv.url}/v1/approvals/${id}`, { headers: auth });
  return ((await r.json()) as { state: string }).state;
}

test("the README shows the recipes verbatim", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  expect(readme).toContain(readFileSync(PY, "utf8"));
  expect(readme).toContain(readFileSync(TS, "utf8"));
});

test.skipIf(!pythonReady)(
  "Python (key file) then TypeScript (PKCS#8 PEM) approve: the request is approved",
  async () => {
    const h = await holdPayment(ws, 250);
    const a = python(h.request_id, keys.alice, "alice", "approve", "invoice 42 checked");
    expect(a.err).toBe("");
    expect(a.out).toBe(
      `approve send_payment {"amount": 250} (held by large-payments)\n` +
        `accepted: request ${h.request_id} is pending\n`,
    );
    const c = typescript(h.request_id, keys.carol, "carol", "approve");
    expect(c.err).toBe("");
    expect(c.out).toBe(
      `approve send_payment {"amount":250} (held by large-payments)\n` +
        `accepted: request ${h.request_id} is approved\n`,
    );
    expect(await state(h.request_id)).toBe("approved");
  },
);

test.skipIf(!pythonReady)(
  "a deny from Python rejects; refusals print the problem code",
  async () => {
    const h = await holdPayment(ws, 300);
    const bob = python(h.request_id, keys.bob, "bob", "approve");
    expect(bob.code).toBe(1);
    expect(bob.err).toMatch(/^refused \(403 approver_not_eligible\): \S/);
    const wrongKey = typescript(h.request_id, keys.alice, "carol", "approve");
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.err).toContain("refused (403 resolution_signature_invalid)");
    const d = python(h.request_id, keys.carol, "carol", "deny", "not on the supplier list");
    expect(d.err).toBe("");
    expect(d.out).toEndWith(`accepted: request ${h.request_id} is rejected\n`);
    expect(await state(h.request_id)).toBe("rejected");
  },
);
