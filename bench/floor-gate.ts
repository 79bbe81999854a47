/**
 * The durable floor: the echo gate plus the least work any gate that keeps
 * warrant's promises has to do, done plainly. Where a performance aim is
 * missed, this gate says whether the aim is reachable at all on this
 * machine: what it costs is not warrant's overhead but the runtime's, the
 * disk's and SQLite's.
 *
 * Start-up: read the config (JSON, the fields warrant's gate reads), read
 * the policy file and, unless `policy.allow_unsigned` is set and there is
 * no `.sig`, check its sha256 and verify one configured signer's Ed25519
 * signature, as warrant's start does (here with WebCrypto, the cheapest
 * native verify Bun has at start-up); parse the policy; open a SQLite store
 * beside the configured one (`<store.path>.floor.db`: WAL, the configured
 * `synchronous`) and commit this session's row; then `ready`.
 *
 * Each govern of a tool an `allow` rule names: one INSERT committed (durable
 * with synchronous=full) before `run_tool`, one UPDATE committed before
 * `completed` — the two durable commits the aim 1 counts — with
 * group commit (writes asked for while one chunk of input is handled share
 * a transaction). Nothing else: no audit chain, no hashes, no canonical JSON,
 * no schema checks, no recovery.
 *
 *   bun bench/floor-gate.ts runtime gate --config warrant.json
 *   (compiled by bench/lib/echo.ts ensureFloorBinary, as dist/warrant is)
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { POLICY_DOMAIN } from "../src/core/signing.ts";
import { runMinimalGate } from "./lib/minimal-gate.ts";

interface Config {
  store?: { path?: string; synchronous?: string };
  policy?: { file?: string; allow_unsigned?: boolean };
  trust?: { policy_signers?: Array<{ id: string; public_key: string }> };
}

const at = process.argv.indexOf("--config");
const configPath = resolve(at > 0 ? process.argv[at + 1] ?? "" : "warrant.json");
const base = dirname(configPath);
const config = JSON.parse(readFileSync(configPath, "utf8")) as Config;

const policyPath = resolve(base, config.policy?.file ?? "");
const policyBytes = readFileSync(policyPath);

/**
 * Checks the policy's detached signature (sha256, then one configured
 * signer's Ed25519 signature over POLICY_DOMAIN + the file's bytes) with
 * the cheapest native means the runtime has: Bun's hasher and WebCrypto
 * (measured here in a compiled binary: loading node:crypto alone took 12 ms,
 * WebCrypto's first verify 4–6 ms).
 */
async function verifyPolicy(): Promise<void> {
  const sig = JSON.parse(readFileSync(`${policyPath}.sig`, "utf8")) as {
    sha256: string;
    signatures: Array<{ signer: string; sig: string }>;
  };
  if (new Bun.CryptoHasher("sha256").update(policyBytes).digest("hex") !== sig.sha256) {
    throw new Error(`${policyPath}: sha256 does not match its .sig`);
  }
  const signers = new Map((config.trust?.policy_signers ?? []).map((s) => [s.id, s.public_key]));
  const entry = sig.signatures.find((s) => signers.has(s.signer));
  if (!entry) throw new Error(`${policyPath}: no configured signer signed it`);
  const raw = Buffer.from(signers.get(entry.signer)!.replace(/^ed25519:/, ""), "base64");
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  const signed = Buffer.concat([Buffer.from(POLICY_DOMAIN), policyBytes]);
  const ok = await crypto.subtle.verify(
    { name: "Ed25519" },
    key,
    Buffer.from(entry.sig, "base64"),
    signed,
  );
  if (!ok) throw new Error(`${policyPath}: the signature does not verify`);
}

/** Verify, open the store, commit the session, then serve (no top-level await: bytecode). */
async function start(): Promise<void> {
  if (existsSync(`${policyPath}.sig`) || config.policy?.allow_unsigned !== true) {
    await verifyPolicy();
  }
  const policy = JSON.parse(policyBytes.toString("utf8")) as {
    rules?: Array<{ tool?: unknown; effect?: unknown }>;
  };
  const allowed = new Set(
    (policy.rules ?? []).filter((r) => r.effect === "allow" && typeof r.tool === "string")
      .map((r) => r.tool as string),
  );

  const storePath = `${resolve(base, config.store?.path ?? ".warrant/warrant.db")}.floor.db`;
  mkdirSync(dirname(storePath), { recursive: true });
  const db = new Database(storePath, { create: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${config.store?.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  db.exec(
    "CREATE TABLE IF NOT EXISTS sessions (id TEXT NOT NULL, at INTEGER NOT NULL);" +
      "CREATE TABLE IF NOT EXISTS actions (id TEXT NOT NULL, session TEXT NOT NULL, " +
      "tool TEXT NOT NULL, args TEXT NOT NULL, state TEXT NOT NULL, output TEXT, at INTEGER NOT NULL)",
  );
  const session = crypto.randomUUID();
  db.query("INSERT INTO sessions (id, at) VALUES (?, ?)").run(session, Date.now());
  const insert = db.query(
    "INSERT INTO actions (id, session, tool, args, state, at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const update = db.query("UPDATE actions SET state = ?, output = ? WHERE rowid = ?");
  /** Each action's row, from its INSERT to its outcome's UPDATE. */
  const rows = new Map<string, number | bigint>();

  /**
   * Group commit at the least cost: the writes asked for while one chunk of
   * input is handled (every line it holds) share one transaction, committed
   * as soon as that handling is done (a microtask, not another event-loop
   * turn), and each caller goes on once it is durable. Alone (a sequential
   * caller), a write is its own transaction, with no wait.
   */
  let turn: Array<{ write: () => void; done: () => void; fail: (e: unknown) => void }> = [];
  const commitTurn = () => {
    const batch = turn;
    turn = [];
    try {
      db.transaction(() => {
        for (const b of batch) b.write();
      })();
    } catch (e) {
      for (const b of batch) b.fail(e);
      return;
    }
    for (const b of batch) b.done();
  };
  const durably = (write: () => void) =>
    new Promise<void>((done, fail) => {
      turn.push({ write, done, fail });
      if (turn.length === 1) queueMicrotask(commitTurn);
    });

  runMinimalGate({
    project: "floor",
    noResume: "the floor gate resumes nothing",
    async decide(actionId, tool, args) {
      const allow = allowed.has(tool);
      const state = allow ? "executing" : "denied";
      await durably(() => {
        const r = insert.run(actionId, session, tool, JSON.stringify(args), state, Date.now());
        if (allow) rows.set(actionId, r.lastInsertRowid);
      });
      return allow;
    },
    async outcome(actionId, result) {
      const row = rows.get(actionId);
      rows.delete(actionId);
      if (row === undefined) return;
      await durably(() => {
        if ("output" in result) update.run("completed", JSON.stringify(result.output), row);
        else update.run("failed", JSON.stringify(result.error), row);
      });
    },
  });
}

start().catch((e) => {
  process.stderr.write(`floor gate: ${(e as Error).message}\n`);
  process.exit(1);
});
