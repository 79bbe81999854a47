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
  /** Variables of warrant's environment the tool gets beyond PATH, HOME, LANG, TZ. */
  env?: string[] | undefined;
  /** Let a value beginning with "-" start an argv element. */
  allow_dash_args?: boolean | undefined;
}

/** The value an argument contributes to an argv element. */
function argText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * Expand a declared tool's argv template. Throws invalid_argument naming the
 * placeholder when an argument is missing, or when a value beginning with
 * "-" would start an argv element (the program would read it as an option)
 * and `allowDash` is off.
 *
 * @example expandArgv(["./deploy.sh", "{env}"], { env: "prod" }) // → ["./deploy.sh", "prod"]
 */
export function expandArgv(
  command: string[],
  args: Record<string, unknown>,
  allowDash = false,
): string[] {
  return command.map((part) =>
    part.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, name: string, offset: number) => {
      if (!Object.hasOwn(args, name) || args[name] === undefined || args[name] === null) {
        throw new WarrantError(
          "invalid_argument",
          `the tool's command needs argument "${name}"; pass it in --args`,
        );
      }
      const text = argText(args[name]);
      if (offset === 0 && text.startsWith("-") && !allowDash) {
        throw new WarrantError(
          "invalid_argument",
          `argument "${name}" begins with "-" and would reach the program as an option; ` +
            `pass a value without a leading "-", or set allow_dash_args: true for this tool in the config`,
        );
      }
      return text;
    })
  );
}
