/**
 * A piped stdout is drained before the process exits: `audit export` read by
 * a consumer that starts late (a pager, a slow upload) gets every event.
 * Before, the exit waited on an empty write, which Bun acknowledges at once
 * while earlier writes still sit in its buffer: all but the first ~60 KB
 * were lost, and the export exited 0.
 */
import { expect, test } from "bun:test";
import { ensureBinary, makeWorkspace } from "./harness.ts";
import { openWorkspaceStore } from "./store-sql.ts";

const EVENTS = 3000;

test("audit export into a late reader loses nothing", async () => {
  const ws = await makeWorkspace({
    policy: { policy: "p", version: 1, default: "allow", rules: [] },
  });
  try {
    const store = openWorkspaceStore(ws);
    store.tx((tx) => {
      for (let i = 0; i < EVENTS; i++) {
        tx.appendEvent({ type: "seed.filler", payload: { i, note: "x".repeat(100) }, at: 1 });
      }
    });
    const total = store.lastEventSeq();
    store.close();

    // A shell pipe whose reader starts late: the OS pipe (64 KiB) is full
    // long before. (Bun.spawn's own pipe reads eagerly and would hide this.)
    const p = Bun.spawn([
      "sh",
      "-c",
      '{ "$0" audit export --config "$1"; echo "exit $?" >&2; } | { sleep 0.7; cat; }',
      await ensureBinary(),
      ws.configPath,
    ], { cwd: ws.dir, env: { ...process.env }, stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
    ]);
    expect(await p.exited).toBe(0);
    expect(err).toContain("exit 0");
    const lines = out.trim().split("\n");
    expect(lines.length).toBe(total);
    expect((JSON.parse(lines.at(-1)!) as { seq: number }).seq).toBe(total);
  } finally {
    ws.cleanup();
  }
}, 60_000);
