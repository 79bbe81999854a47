/**
 * A full disk (a small tmpfs holding the store): governs are refused as
 * `store_unavailable` (not internal_error) and nothing runs; an action whose
 * outcome could not be committed answers outcome_unknown; when space comes
 * back, a `store.recovered` event records how many governs were answered
 * unrecorded (and which), and the stuck action gets its real outcome.
 * Needs root (mount); says so and skips otherwise.
 */
import { expect } from "bun:test";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeWorkspace, runCli, spawnGate } from "./harness.ts";
import { sqliteOnlyTest } from "./store-sql.ts";

function fill(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [1 << 16, 1 << 12, 1 << 9]) {
      const buf = new Uint8Array(size).fill(0x5a);
      try {
        for (;;) writeSync(fd, buf);
      } catch (e) {
        if ((e as { code?: string }).code !== "ENOSPC") throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

sqliteOnlyTest(
  "full disk: store_unavailable, then store.recovered with the count (SQLite only: a full disk under the store file; an unreachable PostgreSQL is pg-restart.test.ts)",
  async () => {
    const mnt = mkdtempSync(join(tmpdir(), "warrant-full-"));
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt], {
      encoding: "utf8",
    });
    if (m.status !== 0) {
      console.warn(`SKIPPED full-disk test: cannot mount a tmpfs (${m.stderr.trim()}); needs root`);
      rmSync(mnt, { recursive: true, force: true });
      return;
    }
    const ws = await makeWorkspace({
      policy: { policy: "p", version: 1, default: "allow", rules: [] },
      config: { store: { path: join(mnt, "store/warrant.db") } },
    });
    const filler = join(mnt, "filler");
    try {
      const gate = await spawnGate(ws.configPath);
      await gate.registerTool("echo", ({ args }) => args);
      await gate.registerTool("fill_disk", () => {
        fill(filler); // the disk fills while the body runs: its outcome cannot be committed
        return { done: true };
      });
      expect((await gate.govern("echo", { n: 0 })).phase).toBe("completed");
      const stuck = await gate.govern("fill_disk", {});
      expect(stuck).toMatchObject({ phase: "failed", kind: "outcome_unknown" });

      const refused: string[] = [];
      for (let i = 1; i <= 3; i++) {
        const r = await gate.govern("echo", { n: i });
        expect(r).toMatchObject({ phase: "rejected", kind: "store_unavailable" });
        refused.push(r.action_id);
      }
      for (const id of refused) expect(gate.stderrText).toContain(id);

      rmSync(filler);
      const back = await gate.govern("echo", { n: 4 });
      expect(back.phase).toBe("completed");
      expect(await gate.close()).toBe(0);

      const exp = await runCli(["audit", "export", "--config", ws.configPath]);
      expect(exp.code).toBe(0);
      const events = exp.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
      const rec = events.filter((e) => e.type === "store.recovered");
      expect(rec.length).toBe(1);
      expect(rec[0].payload.unrecorded).toBe(3);
      expect(rec[0].payload.actions).toEqual(refused);
      expect(rec[0].payload.reconciled).toEqual([stuck.action_id]);
      const show = await runCli(["show", stuck.action_id, "--config", ws.configPath, "--json"]);
      expect(JSON.parse(show.stdout).action.state).toBe("completed");
      // Nothing refused ever ran, and none of them is in the store.
      for (const id of refused) {
        expect(events.some((e) => e.action_id === id)).toBe(false);
      }
      expect((await runCli(["audit", "verify", "--config", ws.configPath])).code).toBe(0);
    } finally {
      rmSync(filler, { force: true });
      ws.cleanup();
      spawnSync("umount", [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  },
  60_000,
);
