/**
 * Helpers for end-to-end tests that drive the compiled binary as users do.
 *
 *   const bin = await ensureBinary();                  // builds dist/warrant once if stale
 *   const ws = await makeWorkspace({ policy: { ...rules } });
 *   const gate = await spawnGate(ws.configPath);       // a connected GateClient
 *   await gate.registerTool("echo", ({ args }) => args);
 *   const r = await gate.govern("echo", { x: 1 });
 *   await gate.close(); ws.cleanup();
 *
 *   const { code, stdout } = await runCli(["pending", "--json"], { cwd: ws.dir });
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GateClient, type GateClientOptions } from "../../src/client/gate-client.ts";
import { dropSchema, freshSchema } from "../store/postgres/pg-backend.ts";

/**
 * WARRANT_E2E_STORE=postgres runs the workspaces of this suite on the
 * PostgreSQL server of WARRANT_TEST_PG_URL (one fresh schema each, dropped
 * by cleanup) instead of a SQLite file; the products get the URL through
 * WARRANT_DATABASE_URL, as users configure it.
 */
export const E2E_PG_URL: string | null = process.env.WARRANT_E2E_STORE === "postgres"
  ? (process.env.WARRANT_TEST_PG_URL ?? null)
  : null;
if (process.env.WARRANT_E2E_STORE === "postgres" && !E2E_PG_URL) {
  throw new Error("WARRANT_E2E_STORE=postgres needs WARRANT_TEST_PG_URL (scripts/test sets it)");
}
if (E2E_PG_URL) process.env.WARRANT_DATABASE_URL = E2E_PG_URL;

/** The repository root. */
export const ROOT: string = resolve(import.meta.dir, "../..");
/** The compiled binary the e2e tests drive. */
export const BINARY: string = join(ROOT, "dist/warrant");
/**
 * The product under test: dist/warrant by default; WARRANT_E2E_BIN names
 * another executable with the same argv (scripts/warrant-deno runs the same
 * suite on Deno). Relative paths are from the repository root.
 */
export const PRODUCT: string = process.env.WARRANT_E2E_BIN
  ? resolve(ROOT, process.env.WARRANT_E2E_BIN)
  : BINARY;
/** True when the suite drives something other than the compiled Bun binary. */
export const OTHER_PRODUCT: boolean = PRODUCT !== BINARY;
const DEFAULT_TIMEOUT_MS = OTHER_PRODUCT ? 90_000 : 30_000;
const LOCK = join(ROOT, "dist/.build.lock");

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when dist/warrant is missing or older than any file under src/, package.json or bun.lock. */
export function binaryIsStale(): boolean {
  if (!existsSync(BINARY)) return true;
  const built = statSync(BINARY).mtimeMs;
  const inputs = [join(ROOT, "src"), join(ROOT, "package.json"), join(ROOT, "bun.lock")];
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built);
}

let ensured: Promise<string> | undefined;

/**
 * Resolves with the product under test ({@link PRODUCT}); for dist/warrant,
 * builds it with `scripts/build` when missing or stale, once per
 * test process; a lock directory (dist/.build.lock, created atomically) keeps
 * parallel test processes from building at the same time — the others wait,
 * then re-check. A lock older than 5 minutes is considered abandoned.
 * Resolves with the binary's path.
 *
 * @throws Error with the build output when `scripts/build` fails.
 */
export function ensureBinary(): Promise<string> {
  if (OTHER_PRODUCT) return Promise.resolve(PRODUCT);
  ensured ??= (async () => {
    if (!binaryIsStale()) return BINARY;
    mkdirSync(join(ROOT, "dist"), { recursive: true });
    for (;;) {
      try {
        mkdirSync(LOCK);
        break;
      } catch {
        if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs! > 300_000) {
          rmSync(LOCK, { recursive: true, force: true });
        } else await new Promise((r) => setTimeout(r, 200));
      }
    }
    try {
      if (binaryIsStale()) {
        const r = await run([join(ROOT, "scripts/build")], { cwd: ROOT, timeoutMs: 300_000 });
        if (r.code !== 0) {
          throw new Error(`scripts/build failed (${r.code}):\n${r.stderr}${r.stdout}`);
        }
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
    return BINARY;
  })();
  ensured.catch(() => (ensured = undefined));
  return ensured;
}

/** What {@link runCli} resolves with. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli}. `env` is merged over the test's environment. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: string | Uint8Array;
  /**
   * Kill the process after this long (default 30000 ms, 90000 ms for another
   * product: scripts/warrant-deno starts with ~3x the CPU of the compiled
   * binary); `code` is then null.
   */
  timeoutMs?: number;
}

function run(argv: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.stdin.on("error", () => {});
    child.on("error", reject);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}

/**
 * Runs `dist/warrant ...args` (after {@link ensureBinary}) and collects its
 * exit code and output.
 *
 * @example const r = await runCli(["policy", "check", "p.json"], { cwd: ws.dir }); // r.code === 0
 */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return run([await ensureBinary(), ...args], opts);
}

/** A generated key: its secret file and its public key `ed25519:BASE64`. */
export interface TestKey {
  path: string;
  publicKey: string;
}

/** Options of {@link makeWorkspace}. */
export interface WorkspaceOptions {
  /**
   * The policy document, or a function building it from the generated keys
   * (to name approvers: `(k) => ({ ..., approvers: { alice: { key: k.alice.publicKey, roles: [...] } } })`).
   */
  policy: object | ((keys: Record<string, TestKey>) => object);
  /** Sign the policy with a generated "ops" key and trust it (needs `keygen` and `policy sign`). */
  signed?: boolean;
  /** Ids of keys to generate with `warrant keygen` (e.g. approvers), into DIR/keys/ID.key. */
  keys?: string[];
  /** Merged into warrant.json (one level deep per top-level section). */
  config?: Record<string, unknown>;
}

/** A temp folder holding warrant.json and policies/x.policy.json. */
export interface Workspace {
  dir: string;
  configPath: string;
  policyPath: string;
  keys: Record<string, TestKey>;
  /** The PostgreSQL schema of the store under WARRANT_E2E_STORE=postgres, else null (SQLite). */
  schema: string | null;
  cleanup(): void;
}

/** Runs a CLI verb for {@link makeWorkspace}: the product by default, or an in-process CLI. */
export type WorkspaceCli = (args: string[], opts: { cwd: string }) => Promise<CliResult>;

async function keygen(dir: string, id: string, cli: WorkspaceCli): Promise<TestKey> {
  const path = join(dir, "keys", `${id}.key`);
  const r = await cli(["keygen", "--id", id, "--out", path], { cwd: dir });
  const publicKey = /ed25519:[A-Za-z0-9+/]{43}=/.exec(r.stdout)?.[0];
  if (r.code !== 0 || !publicKey) {
    throw new Error(`warrant keygen --id ${id} failed (${r.code}): ${r.stderr}${r.stdout}`);
  }
  return { path, publicKey };
}

/**
 * Creates a workspace: `warrant.json` (project "e2e", store
 * `.warrant/warrant.db`, policy `policies/x.policy.json`), the policy file and,
 * when `signed`, its `.sig` made by `warrant policy sign` with a generated
 * "ops" key listed in `trust.policy_signers`. Unsigned workspaces set
 * `policy.allow_unsigned: true`.
 *
 * @throws Error when a `keygen` or `policy sign` subprocess fails.
 */
export async function makeWorkspace(
  opts: WorkspaceOptions,
  cli: WorkspaceCli = runCli,
): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), "warrant-e2e-"));
  const schema = E2E_PG_URL ? freshSchema("e2e") : null;
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    if (schema) dropSchema(E2E_PG_URL!, schema);
  };
  try {
    mkdirSync(join(dir, "policies"));
    mkdirSync(join(dir, "keys"));
    const keys: Record<string, TestKey> = {};
    const ids = [...(opts.keys ?? []), ...(opts.signed ? ["ops"] : [])];
    for (const id of new Set(ids)) keys[id] = await keygen(dir, id, cli);

    const policy = typeof opts.policy === "function" ? opts.policy(keys) : opts.policy;
    const policyPath = join(dir, "policies/x.policy.json");
    writeFileSync(policyPath, `${JSON.stringify(policy, null, 2)}\n`);
    if (opts.signed) {
      const r = await cli(["policy", "sign", policyPath, "--key", keys.ops!.path], { cwd: dir });
      if (r.code !== 0) {
        throw new Error(`warrant policy sign failed (${r.code}): ${r.stderr}${r.stdout}`);
      }
    }

    const base: Record<string, Record<string, unknown> | string> = {
      project: "e2e",
      store: schema
        ? { path: ".warrant/warrant.db", postgres: { schema } }
        : { path: ".warrant/warrant.db" },
      policy: { file: "policies/x.policy.json", allow_unsigned: !opts.signed },
      ...(opts.signed
        ? {
          trust: {
            policy_signers: [{ id: "ops", public_key: keys.ops!.publicKey }],
            policy_threshold: 1,
          },
        }
        : {}),
    };
    for (const [k, v] of Object.entries(opts.config ?? {})) {
      const cur = base[k];
      base[k] = typeof cur === "object" && typeof v === "object" && v !== null && !Array.isArray(v)
        ? { ...cur, ...(v as Record<string, unknown>) }
        : (v as Record<string, unknown>);
    }
    const configPath = join(dir, "warrant.json");
    writeFileSync(configPath, `${JSON.stringify(base, null, 2)}\n`);
    return { dir, configPath, policyPath, keys, schema, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/**
 * Spawns `dist/warrant runtime gate --config configPath` (after
 * {@link ensureBinary}) and resolves with a GateClient past `ready`. `env`
 * is merged over the test's environment; cwd defaults to the config's folder.
 *
 * @throws GateError with the gate's stderr when it exits before `ready`.
 */
export async function spawnGate(
  configPath: string,
  opts: GateClientOptions = {},
  extraArgs: string[] = [],
): Promise<GateClient> {
  const bin = await ensureBinary();
  return GateClient.spawn([bin, "runtime", "gate", "--config", configPath, ...extraArgs], {
    ...opts,
    cwd: opts.cwd ?? resolve(configPath, ".."),
    env: { ...process.env, ...opts.env },
  });
}

/** Wait until the gate's stderr matches `re`; resolves with the first group. */
export async function waitForStderr(
  gate: GateClient,
  re: RegExp,
  timeoutMs = 5000,
): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(gate.stderrText);
    if (m) return m[1] ?? m[0];
    if (Date.now() > until) {
      throw new Error(`stderr did not match ${re} within ${timeoutMs} ms: ${gate.stderrText}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
