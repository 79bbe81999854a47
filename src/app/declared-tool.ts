/**
 * Declared tools (config `tools`): an argv template, no shell, each `{name}`
 * replaced by that argument within its one argv element. Pure: the process
 * that runs it is platform/process-runner.ts.
 */
import { WarrantError } from "../core/errors.ts";

export interface DeclaredTool {
  command: string[];
  timeout_ms?: number | undefined;
  cwd?: string | undefined;
}

/** The value an argument contributes to an argv element. */
function argText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * Expand a declared tool's argv template. Throws invalid_argument naming the
 * placeholder when an argument is missing.
 *
 * @example expandArgv(["./deploy.sh", "{env}"], { env: "prod" }) // → ["./deploy.sh", "prod"]
 */
export function expandArgv(command: string[], args: Record<string, unknown>): string[] {
  return command.map((part) =>
    part.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, name: string) => {
      if (!Object.hasOwn(args, name) || args[name] === undefined || args[name] === null) {
        throw new WarrantError(
          "invalid_argument",
          `the tool's command needs argument "${name}"; pass it in --args`,
        );
      }
      return argText(args[name]);
    })
  );
}
