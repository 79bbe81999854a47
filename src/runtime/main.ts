/**
 * The process around the CLI: argv, stdout/stderr, environment and exit
 * code, for whichever platform the entry point picked. (No top-level await:
 * the Bun binary is compiled to bytecode, which needs it.)
 */
import type { Platform } from "../app/ports/platform.ts";
import { runCli } from "../cli/run.ts";
import { createRuntime } from "./runtime.ts";
import { runHttpThread } from "./http-thread.ts";
import type { HttpThreadData } from "./http-thread.ts";

/** Run the CLI on `platform` with this process's argv, then exit with its code. */
export function main(platform: Platform): void {
  // A thread this program started for one of its faces (runtime/http-thread.ts).
  const thread = platform.threadContext();
  if (thread) {
    const data = thread.data as HttpThreadData;
    if (data.face === "http") void runHttpThread(platform, data, thread.parent);
    return;
  }
  // process.stdout is first touched when a verb prints (or at exit): its
  // first use costs Bun ~12 ms (node:stream), and a stdio gate writes
  // through the platform's own streams (Platform.gateStdio) before `ready`.
  const io = {
    out: (line: string) => void process.stdout.write(`${line}\n`),
    err: (line: string) => void process.stderr.write(`${line}\n`),
    env: process.env,
    cwd: process.cwd(),
    get stdoutIsTTY() {
      return process.stdout.isTTY === true;
    },
    runtime: createRuntime(platform),
  };
  void runCli(process.argv.slice(2), io).then((code) => {
    // Let stdout drain (protocol lines, JSON output), then exit even if a
    // library left a handle open: every face has closed its store by now.
    // end(), not write("", cb): on Bun an empty write calls back at once
    // while earlier writes still sit in its own buffer, so a piped
    // `audit export` read by a slow consumer lost all but its first ~60 KB
    // (test/e2e/stdout-drain.test.ts). A reader that has gone away (EPIPE)
    // ends the wait too.
    let exited = false;
    const exit = () => {
      if (exited) return;
      exited = true;
      process.exit(code);
    };
    process.stdout.once("error", exit);
    process.stdout.end(exit);
  });
}
