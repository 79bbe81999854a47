/**
 * The stdio gate's streams on Bun's own stdin and stdout (Bun.stdin's
 * ReadableStream, Bun.stdout's FileSink) rather than node:process's: the
 * first use of process.stdout loads and compiles Bun's node:stream
 * emulation, about 12 ms of every gate's start before it can say `ready`
 * (bench/startup.ts). Writes are non-blocking: what the pipe cannot take
 * yet waits in the sink, in order, and `drain` waits for it before the gate
 * returns. A write that fails (the hook closed its end: EPIPE) ends input
 * the same way a closed stdin does, once.
 */
import type { GateStdio } from "../app/ports/runtime.ts";
import { coalescingWriter } from "./stdio.ts";

export function bunStdio(): GateStdio {
  const sink = Bun.stdout.writer();
  let pending: Promise<unknown> | null = null;
  let ended: ((why: string) => void) | null = null;
  let endedWhy: string | null = null;
  const end = (why: string) => {
    if (endedWhy !== null) return;
    endedWhy = why;
    ended?.(why);
  };
  const writeNow = (data: string) => {
    try {
      sink.write(data);
      const f = sink.flush();
      if (typeof f === "object") {
        const p: Promise<unknown> = f.then(
          () => {
            if (pending === p) pending = null;
          },
          () => end("stdout closed"),
        );
        pending = p;
      }
    } catch {
      end("stdout closed");
    }
  };
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return {
    ...coalescingWriter(writeNow),
    onData(listener) {
      const r = Bun.stdin.stream().getReader();
      reader = r;
      void (async () => {
        try {
          while (true) {
            const { value, done } = await r.read();
            if (done) break;
            listener(value);
          }
          end("stdin closed");
        } catch {
          end(reader === null ? "stdin closed" : "stdin error");
        }
      })();
    },
    onEnd(listener) {
      ended = listener;
      if (endedWhy !== null) listener(endedWhy);
    },
    pause() {
      const r = reader;
      reader = null;
      void r?.cancel().catch(() => {});
    },
    async drain() {
      while (pending) await pending;
    },
  };
}
