/**
 * Runs declared tools (config `tools`) as processes: the argv expanded by
 * app/declared-tool.ts, no shell. stdout, stderr (each capped) and the exit
 * status are the outcome.
 */
import { nodeChildProcess } from "./builtins.ts";
import type { ToolCallback, ToolOutcome, ToolRunner } from "../app/ports/tool-runner.ts";
import { type DeclaredTool, expandArgv } from "../app/declared-tool.ts";

const CAP = 1024 * 1024;

/** What every declared tool gets from warrant's environment (plus WARRANT_ACTION_ID). */
export const BASE_ENV = ["PATH", "HOME", "LANG", "TZ"] as const;

/**
 * A declared tool's environment: BASE_ENV and the names its config lists,
 * taken from `from`, and WARRANT_ACTION_ID. Nothing else — not the data key,
 * the HTTP token or a cloud credential that happens to be exported.
 *
 * @example toolEnv({ PATH: "/bin", AWS_SECRET: "x" }, [], "act_1") // → { PATH: "/bin", WARRANT_ACTION_ID: "act_1" }
 */
export function toolEnv(
  from: Record<string, string | undefined>,
  names: readonly string[],
  actionId: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of [...BASE_ENV, ...names]) {
    const v = from[k];
    if (v !== undefined) env[k] = v;
  }
  env.WARRANT_ACTION_ID = actionId;
  return env;
}

/**
 * A ToolRunner for declared tools; `cwd` defaults to the config's folder.
 * The tool gets an allow-listed environment (see toolEnv) read from `env`
 * (default: warrant's own).
 */
export function processRunner(
  tools: Record<string, DeclaredTool>,
  defaultCwd: string,
  defaultTimeoutMs: number,
  env: Record<string, string | undefined> = process.env,
): ToolRunner {
  return {
    run(call: ToolCallback): Promise<ToolOutcome> {
      const tool = Object.hasOwn(tools, call.tool) ? tools[call.tool] : undefined;
      if (!tool) {
        return Promise.resolve({
          ok: false,
          message: `tool "${call.tool}" is not declared in the config`,
        });
      }
      let argv: string[];
      try {
        argv = expandArgv(tool.command, call.args, tool.allow_dash_args ?? false);
      } catch (e) {
        return Promise.resolve({ ok: false, message: (e as Error).message });
      }
      const timeout = tool.timeout_ms ?? defaultTimeoutMs;
      return new Promise((resolve) => {
        const out: Uint8Array[] = [];
        const err: Uint8Array[] = [];
        let outLen = 0;
        let errLen = 0;
        let timedOut = false;
        const child = nodeChildProcess().spawn(argv[0]!, argv.slice(1), {
          cwd: tool.cwd ?? defaultCwd,
          shell: false,
          stdio: ["ignore", "pipe", "pipe"],
          env: toolEnv(env, tool.env ?? [], call.action_id),
        });
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, timeout);
        child.stdout!.on("data", (c: Uint8Array) => {
          if (outLen < CAP) out.push(c);
          outLen += c.length;
        });
        child.stderr!.on("data", (c: Uint8Array) => {
          if (errLen < CAP) err.push(c);
          errLen += c.length;
        });
        const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString("utf8").slice(0, CAP);
        child.on("error", (e) => {
          clearTimeout(timer);
          resolve({ ok: false, message: `cannot start ${tool.command[0]}`, detail: e.message });
        });
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          const output = {
            exit_code: code,
            signal: signal ?? null,
            stdout: text(out),
            stderr: text(err),
          };
          if (timedOut) {
            resolve({
              ok: false,
              timed_out: true,
              message: `timed out after ${timeout} ms; killed`,
            });
          } else if (code === 0) resolve({ ok: true, output });
          else {
            // What the tool printed is its own text: it goes to the detail
            // (stored through the payload codec), never into the reason.
            const said = output.stderr.slice(-2000) || output.stdout.slice(-2000);
            resolve({
              ok: false,
              message: `exited with ${code ?? signal}`,
              ...(said !== "" ? { detail: said } : {}),
            });
          }
        });
      });
    },
  };
}
