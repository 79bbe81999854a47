/**
 * The gate's coalescing stdout writer (platform/stdio.ts): what goes out at
 * once, what waits for the end of the event-loop turn, and in how many writes.
 */
import { describe, expect, test } from "bun:test";
import { coalescingWriter } from "../../src/platform/stdio.ts";

const turnEnd = () => new Promise<void>((r) => setImmediate(r));

function recorder() {
  const writes: string[] = [];
  return { writes, w: coalescingWriter((data) => writes.push(data)) };
}

describe("coalescingWriter", () => {
  test("a lone line goes out at once; the lines after it in its turn go out together at the turn's end", async () => {
    const { writes, w } = recorder();
    w.write("a\n");
    expect(writes).toEqual(["a\n"]);
    w.write("b\n");
    w.write("c\n", true);
    expect(writes).toEqual(["a\n"]);
    await turnEnd();
    expect(writes).toEqual(["a\n", "b\nc\n"]);
    // A new turn: its first line goes out at once again.
    w.write("d\n");
    expect(writes).toEqual(["a\n", "b\nc\n", "d\n"]);
  });

  test("a line written with more on their way (hold) waits, and the turn's lines go out in one write", async () => {
    const { writes, w } = recorder();
    w.write("run_tool 1\n", true);
    w.write("result 2\n", true);
    w.write("result 3\n");
    expect(writes).toEqual([]);
    await turnEnd();
    expect(writes).toEqual(["run_tool 1\nresult 2\nresult 3\n"]);
    await turnEnd();
    expect(writes).toHaveLength(1);
  });

  test("flush writes what is held at once, in order, and only once", async () => {
    const { writes, w } = recorder();
    w.write("x\n", true);
    w.write("y\n");
    w.flush!();
    expect(writes).toEqual(["x\ny\n"]);
    await turnEnd();
    expect(writes).toEqual(["x\ny\n"]);
  });
});
