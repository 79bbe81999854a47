/**
 * A machine without python3: with every python* hidden from PATH, the demo
 * still runs the whole loop (its agent is TypeScript), and the tests that
 * need Python skip with a message that says why instead of failing. The
 * demo's output is also what a reader can copy: quoted commands, the exit 5
 * of a held exec explained, the state after each approval, the workspace.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, ROOT } from "./harness.ts";

let dir: string;
let path: string;

beforeAll(async () => {
  await ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "warrant-nopython-"));
  // A PATH that has every command this machine has, except python*.
  const farm = join(dir, "bin");
  mkdirSync(farm);
  const seen = new Set<string>();
  for (const d of (process.env.PATH ?? "").split(":")) {
    if (!d || !existsSync(d)) continue;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (/^python/i.test(n) || seen.has(n)) continue;
      seen.add(n);
      symlinkSync(join(d, n), join(farm, n));
    }
  }
  path = farm;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = () => ({ ...process.env, PATH: path });

test("python3 is really hidden", () => {
  const r = spawnSync("sh", ["-c", "command -v python3 || command -v python || echo none"], {
    env: env(),
    encoding: "utf8",
  });
  expect(r.stdout.trim()).toBe("none");
});

test("scripts/demo runs the whole loop without python3, and says what it does", () => {
  const ws = join(dir, "demo");
  const r = spawnSync(join(ROOT, "scripts/demo"), [], {
    cwd: ROOT,
    env: { ...env(), WARRANT_DEMO_DIR: ws },
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.status !== 0) console.error(r.stdout, r.stderr);
  expect(r.status).toBe(0);
  const out = r.stdout;
  expect(out).toContain(`Workspace: ${ws}`);
  // Commands as one would type them: JSON arguments quoted.
  expect(out).toContain(
    `$ warrant policy explain policies/acme.policy.json --tool send_payment --args '{"amount":250,"to":"ACME"}'`,
  );
  expect(out).toContain(`$ warrant approve req_`);
  expect(out).toMatch(/\nREQUEST\s+STATE\s+TOOL\s+ARGS\s+APPROVALS\s+DEADLINE\s+ACTION\n/);
  expect(out).toMatch(/--reason 'invoice 7731 checked'/);
  // The session: allow, deny, hold, then the payment ran exactly once.
  expect(out).toMatch(/search_docs \{q: refunds\}\s+→ completed/);
  expect(out).toMatch(/shell \{cmd: rm -rf \/\}\s+→ rejected/);
  expect(out).toContain("send_payment body ran 1 time(s) for 250");
  // After each approval: the new state and what happens next.
  expect(out).toMatch(/approved by carol: request req_\S+ is now approved/);
  expect(out).toContain("next: the agent runs it when its hook resumes action");
  expect(out).toContain("next: run it exactly once with: warrant resume act_");
  // A held exec's exit 5 is explained, not shown as a failure.
  expect(out).toContain('(exit 5 means "held for approval"');
  expect(out).not.toContain("→ exit 5");
  expect(out).toMatch(/audit log OK: \d+ events verified/);
  expect(existsSync(join(ws, ".warrant/warrant.db"))).toBe(true);
}, 300_000);

test("the Python-based tests skip with a clear message when python3 is absent", () => {
  // Every test file that calls python3, found by content (so a new one is covered too).
  const files = spawnSync("grep", ["-rlE", '"python3"', "test", "--include=*.test.ts"], {
    cwd: ROOT,
    encoding: "utf8",
  }).stdout.split("\n").filter((f) => f && !f.endsWith("no-python.test.ts"));
  expect(files).toContain("test/e2e/import-lodestar.test.ts");
  const r = spawnSync(
    "bun",
    ["test", "--timeout", "120000", ...files],
    { cwd: ROOT, env: env(), encoding: "utf8", timeout: 300_000 },
  );
  const out = r.stdout + r.stderr;
  if (r.status !== 0) console.error(out);
  expect(r.status).toBe(0);
  expect(out).toContain("SKIP Python stdlib client unittest suite: python3 is not on PATH");
  expect(out).toContain("SKIP Python client e2e (16x50 governs): python3 is not on PATH");
  expect(out).toContain("SKIP lodestar-runtime-client sessions: python3 is not on PATH");
  expect(out).toMatch(/ 0 fail/);
  expect(out).toMatch(/[1-9]\d* skip/);
}, 300_000);
