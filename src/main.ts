/**
 * Composition root for `bun build --compile`: wires the CLI to the process.
 */
import { runCli } from "./cli/run.ts";

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
};

const code = await runCli(process.argv.slice(2), io);
process.exitCode = code;
