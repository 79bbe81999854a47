/**
 * SIGTERM and SIGINT stop the gate within 5 s even while a run_tool
 * callback is outstanding (the default tool_exec_timeout_ms is 120 s): the
 * in-flight action is recorded as outcome_unknown (never re-run), the
 * unanswered request gets an `error`, and the process exits 0.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ensureBinary, makeWorkspace, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { withStoreSql } from "./store-sql.ts";

let ws: Workspace;
beforeAll(async () => {
  ws = await makeWorkspace({ policy: { policy: "p", version: 1, default: "allow", rules: [] } });
});
afterAll(() => ws.cleanup());

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(
    `${signal} with a run_tool outstanding: exit within 5 s, outcome_unknown recorded`,
    async () => {
      const gate = await spawnGate(ws.configPath);
      let called!: () => void;
      const started = new Promise<void>((r) => (called = r));
      await gate.registerTool("hang", () => {
        called();
        return new Promise(() => {}); // the hook never answers
      });
      const reply = gate.govern("hang", { n: 1 }).then(
        (r) => ({ ok: true as const, r }),
        (e: Error) => ({ ok: false as const, message: e.message }),
      );
      await started;
      const t0 = performance.now();
      gate.kill(signal);
      const code = await gate.exited;
      const took = performance.now() - t0;
      expect(code).toBe(0);
      expect(took).toBeLessThan(5000);
      const r = await reply;
      expect(r.ok).toBe(false);
      expect(r.ok ? "" : r.message).toContain("outcome_unknown");

      const rows = withStoreSql(
        ws,
        (db) =>
          db.all<{ state: string; kind: string }>(
            "SELECT state, kind FROM actions WHERE tool = 'hang' ORDER BY created_at, id",
          ),
        { readonly: true },
      );
      expect(rows.at(-1)).toEqual({ state: "unknown", kind: "outcome_unknown" });
    },
    20_000,
  );
}

// Whether the gate exits must not depend on how much input follows the
// first reply it cannot deliver. It did: on Deno, node:process's stdout,
// once failed, never finished end() (a hang when input stopped), and a
// failed write left the stdio's drain awaiting itself forever.
for (const input of ["keeps coming", "stops once the gate says it is stopping"] as const) {
  test(
    `the hook closes its end of stdout and input ${input}: the gate stops, ends its session, exits 0`,
    async () => {
      const gate = Bun.spawn([await ensureBinary(), "runtime", "gate", "--config", ws.configPath], {
        cwd: ws.dir,
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env },
      });
      const reader = gate.stdout.getReader();
      let seen = "";
      while (!seen.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      const ready = JSON.parse(seen.split("\n")[0]!) as { type: string; session_id: string };
      expect(ready.type).toBe("ready");
      await reader.cancel(); // our end of its stdout is closed: the next reply meets EPIPE
      let stderr = "";
      const stderrDone = (async () => {
        const dec = new TextDecoder();
        for await (const chunk of gate.stderr) stderr += dec.decode(chunk, { stream: true });
      })();
      // Requests, each asking for a reply the gate can no longer deliver.
      const more = () => input === "keeps coming" || !stderr.includes("gate stopping");
      for (let i = 1; i <= 20 && gate.exitCode === null && more(); i++) {
        try {
          gate.stdin.write(`${JSON.stringify({ type: "register_tool", id: i, name: `t${i}` })}\n`);
          await gate.stdin.flush();
        } catch { /* the gate is gone already */ }
        await new Promise((r) => setTimeout(r, input === "keeps coming" ? 20 : 100));
      }
      const code = await Promise.race([
        gate.exited,
        new Promise((r) => setTimeout(() => r("hung"), 10_000)),
      ]);
      if (code === "hung") gate.kill("SIGKILL");
      await stderrDone;
      expect(stderr).toContain('"reason":"stdout closed"');
      expect(code).toBe(0);
      const ended = withStoreSql(
        ws,
        (db) =>
          db.get<{ ended_at: number | null }>(
            "SELECT ended_at FROM sessions WHERE id = ?",
            ready.session_id,
          ),
        { readonly: true },
      );
      expect(ended?.ended_at).toBeGreaterThan(0);
    },
    20_000,
  );
}
