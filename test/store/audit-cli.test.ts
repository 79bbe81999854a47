import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditVerbs } from "../../src/cli/verbs/audit.ts";
import { parseArgs, reportError, UsageError } from "../../src/cli/io.ts";
import type { CliIO } from "../../src/cli/io.ts";

/** runCli's dispatch, without importing every verb of the CLI (some are still being written). */
async function runCli(argv: string[], io: CliIO): Promise<number> {
  const verb = auditVerbs.find((v) => v.name === `${argv[0]} ${argv[1]}`)!;
  try {
    return await verb.run(parseArgs(argv.slice(2), verb.flags), io);
  } catch (e) {
    if (e instanceof UsageError) return 2;
    return reportError(io, e, argv.includes("--json"));
  }
}
import { bunPlatform, bunSqlite } from "../../src/platform/bun.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { actionIn } from "./harness.ts";

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    cwd,
    runtime: createRuntime(bunPlatform),
  };
  return { cli, out, err };
}

function withStore(fn: (dir: string, path: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "warrant-audit-cli-"));
    const path = join(dir, "w.db");
    const s = openStore({ path, driver: bunSqlite });
    actionIn(s, "completed");
    actionIn(s, "denied");
    s.close();
    try {
      await fn(dir, path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "audit verify: ok, then broken naming the first bad seq",
  withStore(async (dir, path) => {
    const a = io(dir);
    expect(await runCli(["audit", "verify", "--store", "w.db"], a.cli)).toBe(0);
    expect(a.out[0]).toContain("7 events verified");
    const raw = bunSqlite(path);
    raw.exec("DROP TRIGGER events_no_update");
    raw.run("UPDATE events SET type = 'action.allowed' WHERE seq = 7");
    raw.close();
    const b = io(dir);
    expect(await runCli(["audit", "verify", "--store", path, "--json"], b.cli)).toBe(1);
    const r = JSON.parse(b.out[0]!);
    expect(r.ok).toBe(false);
    expect(r.first_bad.seq).toBe(7);
    expect(r.first_bad.problem).toContain("hash mismatch");
  }),
);

test(
  "audit verify: a missing store is not_found (3) and is not created",
  withStore(async (dir) => {
    const a = io(dir);
    expect(await runCli(["audit", "verify", "--store", "nope.db"], a.cli)).toBe(3);
    // No flag: ./warrant.json (then $WARRANT_CONFIG) — here there is none.
    const b = io(dir);
    expect(await runCli(["audit", "verify"], b.cli)).toBe(3);
    expect(b.err.join("\n")).toContain(`No warrant.json in ${dir}`);
  }),
);

test(
  "audit verify --config uses store.path",
  withStore(async (dir) => {
    writeFileSync(
      join(dir, "warrant.json"),
      JSON.stringify({
        project: "acme",
        store: { path: "w.db" },
        policy: { file: "p.json", allow_unsigned: true },
      }),
    );
    const a = io(dir);
    const code = await runCli(["audit", "verify", "--config", "warrant.json"], a.cli);
    expect(a.err.join("\n")).toBe("");
    expect(code).toBe(0);
  }),
);

test(
  "audit export: JSONL in seq order, --since seq and ISO",
  withStore(async (dir, path) => {
    const a = io(dir);
    expect(await runCli(["audit", "export", "--store", path, "--format", "jsonl"], a.cli)).toBe(0);
    const lines = a.out.map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(Object.keys(lines[0])).toEqual([
      "seq",
      "at",
      "type",
      "action_id",
      "payload",
      "prev_hash",
      "hash",
    ]);
    const b = io(dir);
    await runCli(["audit", "export", "--store", path, "--since", "6"], b.cli);
    expect(b.out.map((l) => JSON.parse(l).seq)).toEqual([6, 7]);
    const c = io(dir);
    await runCli(["audit", "export", "--store", path, "--since", "2999-01-01T00:00:00Z"], c.cli);
    expect(c.out).toEqual([]);
    expect(await runCli(["audit", "export", "--store", path, "--since", "yesterday"], io(dir).cli))
      .toBe(2);
    const csv = io(dir);
    expect(await runCli(["audit", "export", "--store", path, "--format", "csv"], csv.cli)).toBe(0);
    expect(csv.out.length).toBe(8); // the header and 7 events
    expect(await runCli(["audit", "export", "--store", path, "--format", "xml"], io(dir).cli)).toBe(
      2,
    );
  }),
);

test("audit verify reports progress on stderr on a large store (stdout unchanged)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warrant-audit-progress-"));
  try {
    const path = join(dir, "w.db");
    const s = openStore({ path, driver: bunSqlite, synchronous: "normal" }); // quicker to fill
    for (let i = 0; i < 800; i++) actionIn(s, "completed");
    const events = s.verifyAudit().checked;
    s.close();
    expect(events).toBeGreaterThan(2000);
    // WARRANT_PROGRESS_MS=0 reports every page, as a slow run would each second.
    const slow = io(dir);
    slow.cli.env = { WARRANT_PROGRESS_MS: "0" };
    expect(await runCli(["audit", "verify", "--store", path], slow.cli)).toBe(0);
    expect(slow.err[0]).toBe(`warrant: audit verify: 1000 of ${events} events checked…`);
    expect(slow.err.length).toBe(Math.floor(events / 1000));
    expect(slow.out[0]).toContain(`${events} events verified`); // stdout unchanged
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
