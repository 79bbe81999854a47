import { describe, expect, test } from "bun:test";
import { encodeLine, LineSplitter } from "../../src/protocol/ndjson.ts";

const enc = new TextEncoder();

function collect(max = 1024) {
  const lines: string[] = [];
  const oversize: number[] = [];
  const invalid: number[] = [];
  const s = new LineSplitter({
    maxLineBytes: max,
    onLine: (l) => lines.push(l),
    onOversize: (n) => oversize.push(n),
  });
  return { s, lines, oversize, invalid };
}

describe("LineSplitter", () => {
  test("a line split across chunks", () => {
    const { s, lines } = collect();
    s.push(enc.encode('{"a":'));
    s.push(enc.encode("1"));
    s.push(enc.encode("}\n"));
    expect(lines).toEqual(['{"a":1}']);
  });

  test("several lines in one chunk, remainder kept", () => {
    const { s, lines } = collect();
    s.push(enc.encode("one\ntwo\nthr"));
    expect(lines).toEqual(["one", "two"]);
    s.push(enc.encode("ee\n"));
    expect(lines).toEqual(["one", "two", "three"]);
  });

  test("\\r\\n is stripped, also when \\r and \\n arrive in different chunks", () => {
    const { s, lines } = collect();
    s.push(enc.encode("a\r\nb\r"));
    s.push(enc.encode("\n"));
    expect(lines).toEqual(["a", "b"]);
  });

  test("empty and blank lines are ignored", () => {
    const { s, lines } = collect();
    s.push(enc.encode("\n\n\r\n  \nx\n\n"));
    expect(lines).toEqual(["x"]);
  });

  test("multi-byte UTF-8 split across chunks", () => {
    const { s, lines } = collect();
    const bytes = enc.encode('{"t":"héllo €𝄞"}\n');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1));
    expect(lines).toEqual(['{"t":"héllo €𝄞"}']);
  });

  test("an oversize line is dropped and reported; the next line is fine", () => {
    const { s, lines, oversize } = collect(10);
    s.push(enc.encode("0123456789ABCDEF"));
    s.push(enc.encode("GHIJ\nok\n"));
    expect(oversize).toEqual([20]);
    expect(lines).toEqual(["ok"]);
  });

  test("an oversize line within a single chunk", () => {
    const { s, lines, oversize } = collect(4);
    s.push(enc.encode("abcd\nabcde\nxy\n"));
    expect(lines).toEqual(["abcd", "xy"]);
    expect(oversize).toEqual([5]);
  });

  test("exactly maxLineBytes followed by \\r\\n is accepted", () => {
    const { s, lines, oversize } = collect(4);
    s.push(enc.encode("abcd\r"));
    s.push(enc.encode("\n"));
    expect(lines).toEqual(["abcd"]);
    expect(oversize).toEqual([]);
  });

  test("end() delivers a last line without a trailing newline", () => {
    const { s, lines } = collect();
    s.push(enc.encode("a\nlast"));
    expect(lines).toEqual(["a"]);
    s.end();
    expect(lines).toEqual(["a", "last"]);
  });

  test("end() reports a pending oversize line", () => {
    const { s, lines, oversize } = collect(3);
    s.push(enc.encode("abcdefgh"));
    s.end();
    expect(lines).toEqual([]);
    expect(oversize).toEqual([8]);
  });

  test("invalid UTF-8 goes to onInvalidUtf8 when given", () => {
    const lines: string[] = [];
    const invalid: number[] = [];
    const s = new LineSplitter({
      maxLineBytes: 100,
      onLine: (l) => lines.push(l),
      onOversize: () => {},
      onInvalidUtf8: (n) => invalid.push(n),
    });
    s.push(new Uint8Array([0x61, 0xff, 0x62, 0x0a, 0x63, 0x0a]));
    expect(invalid).toEqual([3]);
    expect(lines).toEqual(["c"]);
  });

  test("the caller may reuse its buffer after push", () => {
    const { s, lines } = collect();
    const buf = enc.encode("abc");
    s.push(buf);
    buf.set(enc.encode("xyz"));
    s.push(enc.encode("\n"));
    expect(lines).toEqual(["abc"]);
  });

  test("a 10 MB line in 64 KiB chunks is linear and does not buffer past the limit", () => {
    const { s, lines, oversize } = collect(16 * 1024 * 1024);
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const t0 = performance.now();
    for (let i = 0; i < 160; i++) s.push(chunk);
    s.push(enc.encode("\n"));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(lines.length).toBe(1);
    expect(lines[0]!.length).toBe(160 * 64 * 1024);
    expect(oversize).toEqual([]);

    const small = collect(1024);
    for (let i = 0; i < 160; i++) small.s.push(chunk);
    small.s.push(enc.encode('\n{"ok":1}\n'));
    expect(small.oversize).toEqual([160 * 64 * 1024]);
    expect(small.lines).toEqual(['{"ok":1}']);
  });

  test("rejects a non-positive limit", () => {
    expect(() => new LineSplitter({ maxLineBytes: 0, onLine() {}, onOversize() {} })).toThrow();
  });
});

describe("encodeLine", () => {
  test("one JSON object and one trailing newline, newlines inside strings escaped", () => {
    const line = encodeLine({ type: "x", s: "a\nb\u2028" });
    expect(line.endsWith("\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({ type: "x", s: "a\nb\u2028" });
  });

  test("throws on a value with no JSON form", () => {
    expect(() => encodeLine(undefined)).toThrow(TypeError);
  });
});
