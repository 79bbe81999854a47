/**
 * The stdio gate's streams on this process's stdin and stdout: stdin as
 * the web stream the platform hands over, stdout through the platform's
 * own writer (Bun.stdin and Bun.stdout's FileSink in bun-stdio.ts;
 * Deno.stdin and Deno.stdout in deno.ts), never node:process's:
 * - on Bun, the first use of process.stdout loads and compiles its
 *   node:stream emulation, about 12 ms of every gate's start before it can
 *   say `ready` (bench/startup.ts);
 * - on Deno, process.stdout, once a write has failed (the hook closed its
 *   end: EPIPE), reports an error on every later write but never completes
 *   end(), so a gate that had met EPIPE hung at exit.
 *
 * The writer coalesces: lines written in one event-loop turn (the replies
 * of one group commit) go out together at the end of the turn, one write
 * instead of 32. The first line of a turn goes out at once unless the
 * caller says more are coming (`hold`: the gate has other requests open):
 * a sequential caller waits for nothing, and concurrent callers cost one
 * write per turn, not two. Each write wakes the reader, and on this 2-core
 * VM that wake-up is the expensive part: holding the first line too took
 * a gate's CPU per govern at 32 callers from ~102 to ~85 µs (issue 12).
 * A platform's write either completes at
 * once or returns a promise (Bun's sink: what the pipe cannot take yet
 * waits there, in order), and `drain` waits for those before the gate
 * returns. A write that fails ends input the same way a closed stdin
 * does, once.
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
    write(line, hold = false) {
      if (held) {
        held.push(line);
        return;
      }
      if (hold) held = [line];
      else {
        writeNow(line);
        held = [];
      }
      setImmediate(flush);
    },
    flush,
  };
}

/**
 * The gate's streams over `input` (opened when the gate starts reading) and
 * `output`, which takes a chunk of lines and either has written it
 * (undefined), will have (a promise; rejected if it cannot), or throws.
 */
export function streamStdio(
  input: () => ReadableStream<Uint8Array>,
  output: (data: string) => Promise<unknown> | undefined,
): GateStdio {
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
      const written = output(data);
      if (written) {
        const settled = () => {
          if (pending === p) pending = null;
        };
        const p: Promise<unknown> = written.then(settled, () => {
          settled();
          end("stdout closed");
        });
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
      const r = input().getReader();
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
