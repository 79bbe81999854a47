/**
 * Hostile input over stdio: malformed lines, wrong shapes, huge lines,
 * prototype-named tools, stray callbacks, and a 20,000-line fuzz run. The
 * gate stays up, answers what has an id, records the rest, executes nothing
 * it should not.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GateClient } from "../../src/client/gate-client.ts";
import { APPROVERS, e2ePolicy } from "./fixtures.ts";
import { makeWorkspace, spawnGate } from "./harness.ts";
import type { Workspace } from "./harness.ts";
import { withStoreSql } from "./store-sql.ts";
import { storedPayloadText } from "../../src/store/event-payload.ts";

let ws: Workspace;
let gate: GateClient;
const frames: Array<Record<string, unknown>> = [];
let executions = 0;

beforeAll(async () => {
  ws = await makeWorkspace({ signed: true, keys: APPROVERS, policy: (k) => e2ePolicy(k) });
  gate = await spawnGate(ws.configPath, {
    onMessage: (m) => void frames.push(m as Record<string, unknown>),
  });
  // Registered but never allowed by the policy: any execution is a bug.
  for (const t of ["transfer_all", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
    await gate.registerTool(t, () => {
      executions++;
      return "ran";
    });
  }
  await gate.registerTool("search_docs", () => "ok");
});
afterAll(async () => {
  expect(await gate.close()).toBe(0);
  ws.cleanup();
});

const errorFor = (id: number) =>
  gate.waitFor(
    (m) =>
      (m as { type?: string; id?: number }).type === "error" && (m as { id?: number }).id === id,
    5000,
  );

describe("hostile stdio input", () => {
  test.each([
    ["not JSON", "hello"],
    ["a JSON array", "[]"],
    ["a number", "42"],
    ["null", "null"],
    ["NaN literal", '{"type":"govern","id":1,"tool":"x","args":{"a":NaN}}'],
    ["Infinity literal", '{"type":"govern","id":1,"tool":"x","args":{"a":Infinity}}'],
    ["truncated", '{"type":"govern","id":1,"tool":'],
  ])("%s: recorded and dropped, the gate stays up", async (_n, line) => {
    gate.sendRaw(`${line}\n`);
    const r = await gate.govern("search_docs", {});
    expect(r.phase).toBe("completed");
  });

  test.each([
    ["unknown field", { type: "govern", id: 9001, tool: "search_docs", args: {}, extra: 1 }],
    ["wrong type", { type: "govern", id: 9002, tool: 7, args: {} }],
    ["args not an object", { type: "govern", id: 9003, tool: "search_docs", args: [1, 2] }],
    ["unknown message type", { type: "exec", id: 9004 }],
    ["empty tool name", { type: "register_tool", id: 9005, name: "" }],
    ["negative wait", { type: "resume", id: 9006, action_id: "a", request_id: "r", wait_ms: -1 }],
  ])("%s: an error with the id", async (_n, msg) => {
    const wait = errorFor(msg.id);
    gate.sendRaw(`${JSON.stringify(msg)}\n`);
    const e = await wait as { message: string };
    expect(e.message).toContain("invalid message");
  });

  test("a duplicate key is refused with an error (with the id), recorded, and nothing runs", async () => {
    let searched = 0;
    await gate.registerTool("search_docs", () => (searched++, "ok"));
    const lines: Array<[number, string]> = [
      [9101, '{"type":"govern","id":9101,"tool":"search_docs","tool":"transfer_all","args":{}}'],
      [9102, '{"type":"govern","id":9102,"tool":"transfer_all","args":{},"tool":"search_docs"}'],
      [9103, '{"type":"govern","id":9103,"tool":"search_docs","args":{"q":1,"q":2}}'],
      [9104, '{"type":"resume","id":9104,"action_id":"a","action_id":"b","request_id":"r"}'],
    ];
    for (const [id, line] of lines) {
      const wait = errorFor(id);
      gate.sendRaw(`${line}\n`);
      const e = await wait as { message: string };
      expect(e.message).toContain("duplicate key");
    }
    expect(searched).toBe(0);
    expect(executions).toBe(0);
    await gate.registerTool("search_docs", () => "ok");
    await new Promise((res) => setTimeout(res, 50));
    // Payloads as stored: packed on SQLite, text on PostgreSQL (store/event-payload.ts).
    const n = withStoreSql(ws, (db) =>
      db.all<{ payload: string | Uint8Array }>(
        "SELECT payload FROM events WHERE type = 'protocol.malformed'",
      ).filter((r) => storedPayloadText(r.payload, "test").includes("duplicate key")).length, {
      readonly: true,
    });
    expect(n).toBeGreaterThanOrEqual(4);
  });

  test("prototype-named tools are ordinary names: denied by default, never executed", async () => {
    for (const t of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const r = await gate.govern(t, { __proto__: { admin: true } });
      expect(r).toMatchObject({ phase: "rejected", kind: "policy_denied" });
    }
    expect(executions).toBe(0);
  });

  test("a 10 MB line is dropped with an error; the gate answers the next request", async () => {
    const huge = JSON.stringify({
      type: "govern",
      id: 7777,
      tool: "search_docs",
      args: { blob: "x".repeat(10 * 1024 * 1024) },
    });
    const wait = gate.waitFor(
      (m) =>
        (m as { type?: string; message?: string }).type === "error" &&
        /exceeds/.test(String((m as { message?: string }).message)),
      20_000,
    );
    gate.sendRaw(`${huge}\n`);
    await wait;
    const r = await gate.govern("search_docs", { after: "huge" });
    expect(r.phase).toBe("completed");
  });

  test("stray tool_result / tool_error for unknown callback ids are recorded and ignored", async () => {
    gate.sendRaw(
      `${
        JSON.stringify({ type: "tool_result", id: 424242, output: { forged: true }, documents: [] })
      }\n`,
    );
    gate.sendRaw(`${JSON.stringify({ type: "tool_error", id: 424243, message: "forged" })}\n`);
    const r = await gate.govern("search_docs", {});
    expect(r.phase).toBe("completed");
  });

  test("an output that is not valid Unicode (lone surrogate) is still recorded as completed", async () => {
    await gate.registerTool("read_weird", () => ({ text: "bad \ud800 half" }));
    const r = await gate.govern("search_docs", { q: "\udc00" });
    expect(r.phase).toBe("completed");
    const w = await gate.govern("read_weird", {});
    expect(w).toMatchObject({ phase: "completed", output: { text: "bad \ud800 half" } });
  });

  test("SQL-looking arguments are stored verbatim", async () => {
    const evil = "'; DROP TABLE actions; --";
    const r = await gate.govern("search_docs", { q: evil });
    expect(r.phase).toBe("completed");
    const n = withStoreSql(
      ws,
      (db) => db.get<{ n: number }>("SELECT count(*) AS n FROM actions")!,
      {
        readonly: true,
      },
    );
    expect(n.n).toBeGreaterThan(0);
  });

  test(
    "20,000 fuzzed lines, then a valid govern is answered correctly; nothing executed",
    async () => {
      let seed = 0x2545f491;
      const rand = (n: number) => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % n;
      };
      const tools = ["transfer_all", "__proto__", "constructor", "nope", "", "toString"];
      // Ids stay far above the client's own request ids, so replies cannot be mistaken for them.
      const values = [
        null,
        true,
        -1,
        1e308,
        "x",
        [],
        {},
        { __proto__: 1 },
        "𝌆",
        "\u0000",
        2 ** 53 + 1,
      ];
      const templates = [
        () => ({
          type: "govern",
          id: 1e7 + rand(1e6),
          tool: tools[rand(tools.length)],
          args: { a: values[rand(values.length)] },
        }),
        () => ({
          type: ["govern", "resume", "tool_result", "register_tool", "x"][rand(5)],
          id: values[rand(values.length)],
        }),
        () => ({
          type: "resume",
          id: 1e7 + rand(1e6),
          action_id: "act_" + rand(1e9),
          request_id: "req_x",
          wait_ms: 0,
        }),
        () => ({ type: "tool_result", id: 1e7 + rand(1e6), output: values[rand(values.length)] }),
        () => ({ type: "tool_error", id: 1e7 + rand(1e6), message: 5 }),
      ];
      const lines: string[] = [];
      for (let i = 0; i < 20_000; i++) {
        let line = JSON.stringify(templates[rand(templates.length)]!());
        const mut = rand(6);
        if (mut === 0) line = line.slice(0, rand(line.length));
        else if (mut === 1) line = line.replace(/[:,]/, String.fromCharCode(rand(128)));
        else if (mut === 2) {
          line = `{"type":"govern","id":${1e7 + rand(1000)},"tool":"transfer_all","args":{"n":${
            ["NaN", "-Infinity", "1e999", "01"][rand(4)]
          }}}`;
        }
        lines.push(line);
      }
      for (let i = 0; i < lines.length; i += 500) {
        gate.sendRaw(
          `${lines.slice(i, i + 500).join("\n")}\n`,
        );
      }
      const r = await gate.govern("search_docs", { q: "after fuzz" });
      expect(r).toMatchObject({ phase: "completed", output: "ok" });
      expect(executions).toBe(0);
      // The refused lines are in the audit log (group-committed before that answer).
      await new Promise((res) => setTimeout(res, 50));
      const n = withStoreSql(ws, (db) =>
        db.get<{ n: number }>(
          "SELECT count(*) AS n FROM events WHERE type = 'protocol.malformed'",
        )!, { readonly: true });
      expect(n.n).toBeGreaterThan(5000);
    },
    120_000,
  );
});
