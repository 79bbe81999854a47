/**
 * The stdio gate's streams on this process's stdin and stdout. The writer
 * coalesces: the first line of an event-loop turn goes out at once (a
 * sequential caller waits for nothing); lines after it in the same turn
 * (the replies of one group commit) go out together at the end of the
 * turn, one write instead of 32. `nodeStdio` is node:process's streams
 * (Deno); Bun's own, cheaper to start, are in bun-stdio.ts.
 */
import type { GateStdio } from "../app/ports/runtime.ts";

/** `write`/`flush` over `writeNow`, which takes a whole chunk of lines. */
export function coalescingWriter(
  writeNow: (data: string) => void,
): Pick<GateStdio, "write" | "flush"> {
  let held: string[] | null = null;
  const flush = () => {
    const lines = held;
    held = null;
    if (lines && lines.length > 0) writeNow(lines.join(""));
  };
  return {
    write(line) {
      if (held) {
        held.push(line);
        return;
      }
      writeNow(line);
      held = [];
      setImmediate(flush);
    },
    flush,
  };
}

/** process.stdin / process.stdout as the gate's streams. */
export function nodeStdio(): GateStdio {
  return {
    ...coalescingWriter((data) => void process.stdout.write(data)),
    onData: (listener) => void process.stdin.on("data", listener),
    onEnd(listener) {
      process.stdin.on("end", () => listener("stdin closed"));
      process.stdin.on("error", () => listener("stdin error"));
      // The hook closed its end of our stdout (EPIPE): nobody can hear a reply.
      process.stdout.on("error", () => listener("stdout closed"));
    },
    pause: () => void process.stdin.pause(),
  };
}
