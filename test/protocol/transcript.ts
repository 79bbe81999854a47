/**
 * Protocol transcripts (test/vectors/protocol/*.ndjson) and the one runner
 * that replays them against any gate: in-process (the runtime's gate over
 * in-memory pipes) or a spawned product (dist/warrant, scripts/warrant-deno).
 *
 * A transcript is one JSON object per line:
 *   {"transcript": NAME, "about": TEXT}     header (first line)
 *   {"hook": {...}}                         a line the hook sends
 *   {"hook_raw": "text"}                    raw bytes the hook sends (a line)
 *   {"gate": {...}}                         the next line the gate must write
 *   {"cli": [ARGS...], "exit": N}           a CLI verb run against the same config
 *   {"comment": TEXT}                       ignored
 * In expectations, "$name" binds a value on first sight and must be equal
 * afterwards, "$*" matches anything, and "$rest": true allows extra fields.
 * In hook lines and CLI args, "$name" is replaced by its bound value and
 * "@id" (CLI args) by the path of test key `id`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { GateMessageSchema } from "../../src/protocol/gate-outbound.ts";

export const TRANSCRIPTS_DIR: string = resolve(import.meta.dir, "../vectors/protocol");

export type Step =
  | { transcript: string; about: string }
  | { hook: Record<string, unknown> }
  | { hook_raw: string }
  | { gate: Record<string, unknown> }
  | { cli: string[]; exit?: number }
  | { comment: string };

export interface Transcript {
  name: string;
  about: string;
  file: string;
  steps: Step[];
}

/** Every transcript, sorted by file name. Throws on a line that is not JSON. */
export function loadTranscripts(dir: string = TRANSCRIPTS_DIR): Transcript[] {
  return readdirSync(dir).filter((f) => f.endsWith(".ndjson")).sort().map((f) => {
    const file = join(dir, f);
    const steps = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map(
      (l, i) => {
        try {
          return JSON.parse(l) as Step;
        } catch (e) {
          throw new Error(`${f}:${i + 1}: not JSON: ${(e as Error).message}`);
        }
      },
    );
    const head = steps[0] as { transcript?: string; about?: string };
    if (typeof head?.transcript !== "string") throw new Error(`${f}: first line must be a header`);
    return { name: head.transcript, about: head.about ?? "", file, steps: steps.slice(1) };
  });
}

/** A gate under test: send lines, read the lines it writes, end its input. */
export interface GateDriver {
  send(line: string): void;
  /** The next line the gate writes; rejects after `timeoutMs`. */
  next(timeoutMs: number): Promise<string>;
  /** End the gate's input; resolves with its exit code. */
  end(): Promise<number | null>;
}

/** What a CLI verb run resolves with. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ReplayContext {
  gate: GateDriver;
  /** Run `warrant ARGS --config CONFIG` against the gate's store. */
  cli(args: string[]): Promise<CliRun>;
  keys: Record<string, { path: string }>;
  /** Per-line wait for the gate (default 20 s). */
  timeoutMs?: number;
}

type Vars = Map<string, unknown>;

function isVar(s: unknown): s is string {
  return typeof s === "string" && /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

/** Replace bound "$name" strings (deeply) by their values. */
export function substitute(v: unknown, vars: Vars): unknown {
  if (isVar(v)) {
    if (!vars.has(v)) throw new Error(`${v} is used before the gate bound it`);
    return vars.get(v);
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]));
  }
  return v;
}

/**
 * Match `actual` against `expected` (rules in the file comment), binding
 * variables. Returns null on a match, else where and why it differs.
 */
export function match(expected: unknown, actual: unknown, vars: Vars, path = "$"): string | null {
  if (expected === "$*") return null;
  if (isVar(expected)) {
    if (!vars.has(expected)) {
      vars.set(expected, actual);
      return null;
    }
    return JSON.stringify(vars.get(expected)) === JSON.stringify(actual)
      ? null
      : `${path}: ${expected} was ${JSON.stringify(vars.get(expected))}, now ${
        JSON.stringify(actual)
      }`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const r = match(expected[i], actual[i], vars, `${path}[${i}]`);
      if (r) return r;
    }
    return null;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    }
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const rest = e.$rest === true;
    for (const k of Object.keys(e)) {
      if (k === "$rest") continue;
      if (!(k in a)) return `${path}.${k}: missing (got ${JSON.stringify(actual)})`;
      const r = match(e[k], a[k], vars, `${path}.${k}`);
      if (r) return r;
    }
    if (!rest) {
      const extra = Object.keys(a).filter((k) => !(k in e));
      if (extra.length > 0) return `${path}: unexpected field(s) ${extra.join(", ")}`;
    }
    return null;
  }
  return expected === actual
    ? null
    : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/**
 * Replay `t` through `ctx`. Every line the gate writes must parse, match the
 * protocol's schema (GateMessageSchema) and the transcript's expectation, in
 * order. Ends the gate's input at the end and expects exit 0. Throws an
 * Error naming the transcript, the step and the difference.
 */
export async function replay(t: Transcript, ctx: ReplayContext): Promise<void> {
  const vars: Vars = new Map();
  const timeout = ctx.timeoutMs ?? 20_000;
  const where = (i: number) => `${t.name} (${t.file.split("/").pop()}) step ${i + 1}`;
  for (const [i, step] of t.steps.entries()) {
    if ("comment" in step) continue;
    if ("hook" in step) ctx.gate.send(JSON.stringify(substitute(step.hook, vars)));
    else if ("hook_raw" in step) ctx.gate.send(step.hook_raw);
    else if ("gate" in step) {
      let line: string;
      try {
        line = await ctx.gate.next(timeout);
      } catch (e) {
        throw new Error(
          `${where(i)}: ${(e as Error).message}; expected ${JSON.stringify(step.gate)}`,
        );
      }
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        throw new Error(`${where(i)}: the gate wrote a line that is not JSON: ${line}`);
      }
      const parsed = GateMessageSchema.safeParse(msg);
      if (!parsed.success) {
        throw new Error(
          `${
            where(i)
          }: the gate wrote a line outside the protocol schema: ${line} (${parsed.error.message})`,
        );
      }
      const diff = match(step.gate, msg, vars);
      if (diff) throw new Error(`${where(i)}: ${diff}\n  line: ${line}`);
    } else if ("cli" in step) {
      const args = step.cli.map((a) =>
        a.startsWith("@")
          ? ctx.keys[a.slice(1)]?.path ?? a
          : isVar(a)
          ? String(substitute(a, vars))
          : a
      );
      const r = await ctx.cli(args);
      const want = step.exit ?? 0;
      if (r.code !== want) {
        throw new Error(
          `${where(i)}: warrant ${args.join(" ")} exited ${r.code}, expected ${want}: ${r.stderr}`,
        );
      }
    }
  }
  const code = await ctx.gate.end();
  if (code !== 0) throw new Error(`${t.name}: the gate exited ${code} after its input ended`);
}

/** Splits written text into lines for a driver; `next` waits for the following one. */
export class LineQueue {
  private buf = "";
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;

  push(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      this.lines.push(this.buf.slice(0, nl));
      this.buf = this.buf.slice(nl + 1);
    }
    this.waiter?.();
  }

  close(): void {
    this.closed = true;
    this.waiter?.();
  }

  async next(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error("the gate closed its output");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line from the gate within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiter = () => {
          clearTimeout(timer);
          r();
        };
      });
      this.waiter = null;
    }
    return this.lines.shift()!;
  }
}
