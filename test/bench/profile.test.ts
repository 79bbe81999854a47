/**
 * bench/lib/profile.ts weighs each sample by the time it stands for. The
 * sampler takes no samples while the thread waits in the event loop, so the
 * gap before the first sample after a wait holds the wait: a server idle
 * between requests must not charge that idle time to whatever it ran first.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeProfile } from "../../bench/lib/profile.ts";

const dir = mkdtempSync(join(tmpdir(), "warrant-profile-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 1 });

/** A .cpuprofile: root → a (app/x.ts), root → run (native SQLite); samples as [node id, delta µs]. */
function profile(samples: Array<[number, number]>): string {
  const path = join(dir, `p-${Math.random().toString(36).slice(2)}.cpuprofile`);
  writeFileSync(
    path,
    JSON.stringify({
      nodes: [
        { id: 1, callFrame: frame("(root)"), children: [2, 3] },
        { id: 2, callFrame: frame("a", "file:///w/src/app/x.ts") },
        { id: 3, callFrame: frame("run") },
      ],
      samples: samples.map((s) => s[0]),
      timeDeltas: samples.map((s) => s[1]),
    }),
  );
  return path;
}

describe("summarizeProfile", () => {
  test("a sample after an idle wait counts for the typical gap, not the wait", () => {
    // Ten busy samples of `a` 100 µs apart, then `run` sampled first after a 50 ms wait.
    const p = profile([...Array.from({ length: 10 }, () => [2, 100] as [number, number]), [
      3,
      50_000,
    ]]);
    const s = summarizeProfile(p, 8);
    const ms = Object.fromEntries(s.top.map((t) => [t.fn.split(" ")[0], t.ms]));
    expect(ms.a).toBeCloseTo(1.0, 5);
    expect(ms.run).toBeCloseTo(0.1, 5);
    expect(s.totalMs).toBeCloseTo(1.1, 5);
    expect(s.categories.find((c) => c.name === "SQLite statements (native)")!.ms).toBeCloseTo(
      0.1,
      5,
    );
  });

  test("busy samples keep their own gaps", () => {
    const p = profile([[2, 90], [3, 100], [2, 110], [3, 100], [2, 100]]);
    const s = summarizeProfile(p, 8);
    const ms = Object.fromEntries(s.top.map((t) => [t.fn.split(" ")[0], t.ms]));
    // median gap 100 µs: the 110 µs sample counts for 100
    expect(ms.a).toBeCloseTo(0.29, 5);
    expect(ms.run).toBeCloseTo(0.2, 5);
  });

  test("fromMs skips the first samples by their real time", () => {
    // 5 ms of start-up (one long gap), then four samples of `a`.
    const p = profile([[3, 5_000], [2, 100], [2, 100], [2, 100], [2, 100]]);
    const s = summarizeProfile(p, 8, 5.05);
    expect(s.top.map((t) => t.fn.split(" ")[0])).toEqual(["a"]);
    expect(s.totalMs).toBeCloseTo(0.4, 5);
  });
});
