/**
 * `warrant approve --endpoint` checks what it signs: a fake endpoint that
 * serves another request's ids, or a digest that is not the digest of the
 * action it shows, gets no signature (exit 1, nothing POSTed). An honest
 * view is signed with the digest the CLI recomputed itself.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actionDigest } from "../../src/core/digest.ts";
import { runCli } from "./harness.ts";

let dir: string;
let keyPath: string;
let server: ReturnType<typeof Bun.serve>;
let view: Record<string, unknown> = {};
const posts: string[] = [];

const honest = (requestId: string) => {
  const action = {
    action_id: "act_reviewed",
    session_id: "ses_1",
    tool: "send_payment",
    args: { amount: 100, to: "ACME" },
    policy: { id: "acme", version: 3 },
  };
  return {
    request_id: requestId,
    state: "pending",
    ...action,
    action_digest: actionDigest(action),
  };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "warrant-endpoint-"));
  keyPath = join(dir, "alice.key");
  expect((await runCli(["keygen", "--id", "alice", "--out", keyPath])).code).toBe(0);
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      if (req.method === "POST") {
        posts.push(await req.text());
        return Response.json({ state: "pending" }, { status: 201 });
      }
      return Response.json(view);
    },
  });
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const approve = (requestId: string) =>
  runCli([
    "approve",
    requestId,
    "--key",
    keyPath,
    "--endpoint",
    `http://127.0.0.1:${server.port}`,
  ]);

describe("approve --endpoint against a fake endpoint", () => {
  test("another request's ids: refused, nothing sent", async () => {
    posts.length = 0;
    view = honest("req_OTHER"); // a valid view, of a request nobody typed
    const r = await approve("req_typed");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('answered request "req_OTHER", not "req_typed"');
    expect(posts).toEqual([]);
  });

  test("the right request id with another action's digest: refused, nothing sent", async () => {
    posts.length = 0;
    const other = honest("req_typed");
    // Shows the reviewed 100 payment, but the digest is of a 1,000,000 one.
    view = {
      ...other,
      action_digest: actionDigest({
        action_id: "act_evil",
        session_id: "ses_1",
        tool: "send_payment",
        args: { amount: 1_000_000, to: "EVIL" },
        policy: { id: "acme", version: 3 },
      }),
    };
    const r = await approve("req_typed");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[digest_mismatch]");
    expect(posts).toEqual([]);
  });

  test("a view without session_id (an input of the digest) is refused", async () => {
    posts.length = 0;
    const { session_id: _drop, ...partial } = honest("req_typed");
    view = partial;
    const r = await approve("req_typed");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("every input of the action digest");
    expect(posts).toEqual([]);
  });

  test("an honest view is signed with the recomputed digest, printed before signing", async () => {
    posts.length = 0;
    view = honest("req_typed");
    const r = await approve("req_typed");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`digest   ${view.action_digest} (recomputed here`);
    expect(r.stderr).toContain('args     {"amount":100,"to":"ACME"}');
    expect(posts).toHaveLength(1);
    expect(JSON.parse(posts[0]!)).toMatchObject({
      request_id: "req_typed",
      action_id: "act_reviewed",
      action_digest: view.action_digest,
      approver: "alice",
    });
  });
});
