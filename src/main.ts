/**
 * Composition root for `bun build --compile`: wires the CLI to the process.
 * (No top-level await: the binary is compiled to bytecode, which needs it.)
 */
import { runCli } from "./cli/run.ts";

const io = {
  out: (line: string) => void process.stdout.write(`${line}\n`),
  err: (line: string) => void process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  stdoutIsTTY: process.stdout.isTTY === true,
};

void runCli(process.argv.slice(2), io).then((code) => {
  // Let stdout drain (protocol lines, JSON output), then exit even if a
  // library left a handle open: every face has closed its store by now.
  process.stdout.write("", () => process.exit(code));
});
