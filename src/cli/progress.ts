/**
 * Progress for CLI steps that can take more than a second: a stderr line
 * ("warrant: audit verify: 120000 of 1000000 events…") at most once per
 * interval, and only after the first interval has passed, so quick runs
 * stay quiet. stdout is untouched (it may be piped into a file).
 */
import type { CliIO } from "./io.ts";

/**
 * A reporter for `label`: call `tick(done, total?)` as work advances. The
 * interval is WARRANT_PROGRESS_MS (default 1000; 0 reports every tick).
 * With `json` (the verb's --json), each report is a JSON log line instead
 * (`{"t","level":"info","msg":"progress","step","done","total","unit"}`), for
 * whatever reads the stream.
 *
 * @example const tick = progress(io, "audit verify", "events"); tick(5000, 1_000_000);
 */
export function progress(
  io: Pick<CliIO, "err" | "env">,
  label: string,
  unit: string,
  now: () => number = Date.now,
  opts: { json?: boolean } = {},
): (done: number, total?: number) => void {
  const raw = Number(io.env.WARRANT_PROGRESS_MS ?? "1000");
  const every = Number.isFinite(raw) && raw >= 0 ? raw : 1000;
  let next = now() + every;
  return (done, total) => {
    const t = now();
    if (t < next) return;
    next = t + every;
    if (opts.json) {
      io.err(JSON.stringify({
        t: new Date(t).toISOString(),
        level: "info",
        msg: "progress",
        step: label,
        done,
        ...(total !== undefined ? { total } : {}),
        unit,
      }));
    } else {
      io.err(`warrant: ${label}: ${done}${total !== undefined ? ` of ${total}` : ""} ${unit}…`);
    }
  };
}
