/**
 * The stdio gate's streams on Bun: Bun.stdin's ReadableStream and
 * Bun.stdout's FileSink (platform/stdio.ts says why not node:process's).
 */
import type { GateStdio } from "../app/ports/runtime.ts";
import { streamStdio } from "./stdio.ts";

export function bunStdio(): GateStdio {
  const sink = Bun.stdout.writer();
  return streamStdio(() => Bun.stdin.stream(), (data) => {
    sink.write(data);
    const flushed = sink.flush();
    return typeof flushed === "object" ? flushed : undefined;
  });
}
