/**
 * NDJSON framing shared by the gate server and the client: a line splitter
 * over a byte stream with a hard per-line limit, and the matching encoder.
 *
 * The splitter never buffers more than `maxLineBytes` (+1 for a `\r`) of one
 * line: past the limit it switches to discard mode, drops bytes up to the next
 * `\n` and reports one oversize event with the number of bytes dropped. A line
 * is decoded as UTF-8 only once it is complete, so a multi-byte character split
 * across chunks is decoded correctly. No runtime globals: runs on Bun and Deno.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Options of {@link LineSplitter}. */
export interface LineSplitterOptions {
  /** Largest accepted line in bytes, excluding the `\n` and an optional `\r` before it. */
  maxLineBytes: number;
  /** Called once per complete non-empty line, `\r\n` / `\n` stripped. */
  onLine(line: string): void;
  /** Called once per line longer than `maxLineBytes`, with the bytes dropped (terminator excluded). */
  onOversize(bytesDropped: number): void;
  /**
   * Called instead of `onLine` when a line is not valid UTF-8. When absent, the
   * line is decoded leniently (invalid sequences become U+FFFD) and passed to `onLine`.
   */
  onInvalidUtf8?(bytes: number): void;
}

/**
 * Splits a byte stream into lines. Feed chunks with `push`, then call `end`
 * when the stream closes (delivers a last line that had no trailing `\n`).
 * Empty and whitespace-only lines are ignored.
 *
 * Cost is linear in the input: each chunk is scanned once for `\n`, and a
 * line spanning many chunks is kept as a list of parts joined once.
 *
 * @example
 * const s = new LineSplitter({ maxLineBytes: 1 << 20, onLine: console.log, onOversize: () => {} });
 * s.push(new TextEncoder().encode('{"a":1}\n{"b"'));
 * s.push(new TextEncoder().encode(":2}\n")); // logs both lines
 */
export class LineSplitter {
  readonly #max: number;
  readonly #onLine: (line: string) => void;
  readonly #onOversize: (bytesDropped: number) => void;
  readonly #onInvalid: ((bytes: number) => void) | undefined;
  readonly #strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  readonly #lenient = new TextDecoder("utf-8", { ignoreBOM: true });
  #parts: Uint8Array[] = [];
  #partLen = 0;
  /** Bytes dropped so far of the current oversize line; -1 when not discarding. */
  #dropped = -1;

  constructor(opts: LineSplitterOptions) {
    if (!Number.isInteger(opts.maxLineBytes) || opts.maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${opts.maxLineBytes}`);
    }
    this.#max = opts.maxLineBytes;
    this.#onLine = opts.onLine;
    this.#onOversize = opts.onOversize;
    this.#onInvalid = opts.onInvalidUtf8;
  }

  /** Feeds one chunk. Callbacks run synchronously, in stream order. */
  push(chunk: Uint8Array): void {
    let start = 0;
    const n = chunk.length;
    while (start < n) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        this.#accumulate(chunk, start, n);
        return;
      }
      this.#finishLine(chunk, start, nl);
      start = nl + 1;
    }
  }

  /** Signals end of stream: delivers (or reports as oversize) a pending unterminated line. */
  end(): void {
    if (this.#dropped >= 0) {
      const dropped = this.#dropped;
      this.#dropped = -1;
      this.#onOversize(dropped);
      return;
    }
    if (this.#partLen > 0) this.#finishLine(new Uint8Array(0), 0, 0);
  }

  #accumulate(chunk: Uint8Array, from: number, to: number): void {
    const len = to - from;
    if (this.#dropped >= 0) {
      this.#dropped += len;
      return;
    }
    if (this.#partLen + len > this.#max + 1) {
      // Cannot fit even allowing for a trailing \r: stop buffering.
      this.#dropped = this.#partLen + len;
      this.#parts = [];
      this.#partLen = 0;
      return;
    }
    // Copy: the caller may reuse its buffer after push returns.
    this.#parts.push(chunk.slice(from, to));
    this.#partLen += len;
  }

  #finishLine(chunk: Uint8Array, from: number, to: number): void {
    if (this.#dropped >= 0) {
      const dropped = this.#dropped + (to - from);
      this.#dropped = -1;
      this.#onOversize(dropped);
      return;
    }
    let bytes: Uint8Array;
    if (this.#partLen === 0) {
      bytes = chunk.subarray(from, to);
    } else {
      bytes = new Uint8Array(this.#partLen + (to - from));
      let off = 0;
      for (const p of this.#parts) {
        bytes.set(p, off);
        off += p.length;
      }
      bytes.set(chunk.subarray(from, to), off);
      this.#parts = [];
      this.#partLen = 0;
    }
    let len = bytes.length;
    if (len > 0 && bytes[len - 1] === CR) len--;
    if (len > this.#max) {
      this.#onOversize(len);
      return;
    }
    if (len === 0) return;
    const body = bytes.subarray(0, len);
    let line: string;
    try {
      line = this.#strict.decode(body);
    } catch {
      if (this.#onInvalid) {
        this.#onInvalid(len);
        return;
      }
      line = this.#lenient.decode(body);
    }
    if (line.trim() === "") return;
    this.#onLine(line);
  }
}

/**
 * Encodes one protocol message as an NDJSON line (`JSON.stringify` + `\n`).
 * JSON escapes every control character inside strings, so the result holds
 * exactly one `\n`, at the end.
 *
 * @throws TypeError when `obj` has no JSON form (undefined, a function, a symbol).
 */
export function encodeLine(obj: unknown): string {
  const s = JSON.stringify(obj);
  if (typeof s !== "string") throw new TypeError("encodeLine: value has no JSON representation");
  return `${s}\n`;
}
