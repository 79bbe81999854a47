import { expect, test } from "bun:test";
import { progress } from "../../src/cli/progress.ts";

function sink(env: Record<string, string> = {}) {
  const err: string[] = [];
  return { err, io: { out: () => {}, err: (l: string) => void err.push(l), env, cwd: "/" } };
}

test("progress stays quiet for the first second, then reports at most once a second", () => {
  let now = 0;
  const s = sink();
  const tick = progress(s.io, "audit verify", "events checked", () => now);
  now = 400;
  tick(1000, 9000);
  now = 999;
  tick(2000, 9000);
  expect(s.err).toEqual([]); // a quick run prints nothing
  now = 1000;
  tick(3000, 9000);
  now = 1500;
  tick(4000, 9000);
  now = 2100;
  tick(5000);
  expect(s.err).toEqual([
    "warrant: audit verify: 3000 of 9000 events checked…",
    "warrant: audit verify: 5000 events checked…",
  ]);
});

test("WARRANT_PROGRESS_MS sets the interval (0: every tick); a bad value keeps the default", () => {
  const every = sink({ WARRANT_PROGRESS_MS: "0" });
  const tick = progress(every.io, "x", "rows", () => 5);
  tick(1);
  tick(2);
  expect(every.err.length).toBe(2);
  const bad = sink({ WARRANT_PROGRESS_MS: "soon" });
  const t2 = progress(bad.io, "x", "rows", () => 0);
  t2(1);
  expect(bad.err).toEqual([]);
});

test("json: each report is a JSON log line naming the step, count, total and unit", () => {
  const s = sink({ WARRANT_PROGRESS_MS: "0" });
  const tick = progress(s.io, "store rotate-key", "actions verified", () => 0, { json: true });
  tick(500, 1200);
  tick(1200);
  expect(s.err.map((l) => JSON.parse(l))).toEqual([
    {
      t: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "progress",
      step: "store rotate-key",
      done: 500,
      total: 1200,
      unit: "actions verified",
    },
    {
      t: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "progress",
      step: "store rotate-key",
      done: 1200,
      unit: "actions verified",
    },
  ]);
});
