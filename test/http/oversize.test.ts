/**
 * Oversized bodies against the real server (`dist/warrant serve`): a client
 * that writes its whole 8 MiB body before reading anything — as ordinary
 * HTTP clients do — gets the 413 and its JSON error body, not a broken
 * pipe; so does a chunked upload, and a body sent to a route that takes
 * none. Raw sockets, so nothing in a client library hides the behaviour.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { httpWorkspace, startServe } from "./serve-harness.ts";
import type { Served } from "./serve-harness.ts";
import type { Workspace } from "../e2e/harness.ts";

let ws: Workspace;
let srv: Served;
beforeAll(async () => {
  ws = await httpWorkspace();
  srv = await startServe(ws);
});
afterAll(async () => {
  await srv.stop();
  ws.cleanup();
});

/** Send `head` then `body` completely, then read the whole response. */
function rawExchange(head: string, body: Uint8Array[]): Promise<string> {
  const { hostname, port } = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: hostname, port: Number(port) });
    const got: Buffer[] = [];
    sock.on("data", (c: Buffer) => got.push(c));
    sock.on(
      "error",
      (e) => reject(new Error(`socket error after ${got.length} chunks: ${e.message}`)),
    );
    sock.on("close", () => resolve(Buffer.concat(got).toString("utf8")));
    sock.on("connect", async () => {
      const write = (b: Uint8Array | string) =>
        new Promise<void>((ok, fail) => sock.write(b, (e) => (e ? fail(e) : ok())));
      try {
        await write(head);
        for (const b of body) await write(b);
        // Only now start caring about the answer; half-close so the server may finish.
        sock.end();
      } catch (e) {
        reject(new Error(`the upload failed before the response could be read: ${e}`));
      }
    });
  });
}

const MiB = 1024 * 1024;
const chunk = new Uint8Array(64 * 1024).fill(0x61);

function parse(res: string): { status: number; body: Record<string, unknown> } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1]);
  const text = res.slice(res.indexOf("\r\n\r\n") + 4);
  const json = text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1);
  return { status, body: JSON.parse(json) };
}

test("an 8 MiB upload written completely before reading gets 413 with a JSON error", async () => {
  const body = Array.from({ length: (8 * MiB) / chunk.length }, () => chunk);
  const res = await rawExchange(
    `POST /v1/approvals/req_x/resolutions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${8 * MiB}\r\n\r\n`,
    body,
  );
  const r = parse(res);
  expect(r.status).toBe(413);
  expect((r.body as { error: { code: string } }).error.code).toBe("payload_too_large");
}, 60_000);

test(
  "a chunked upload over the limit, and a body on a GET route, get the 413 JSON too",
  async () => {
    const chunked = Array.from({ length: 16 }, () => [
      new TextEncoder().encode(`${chunk.length.toString(16)}\r\n`),
      chunk,
      new TextEncoder().encode("\r\n"),
    ]).flat();
    chunked.push(new TextEncoder().encode("0\r\n\r\n"));
    const a = parse(
      await rawExchange(
        `POST /v1/approvals/req_x/resolutions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: chunked\r\n\r\n`,
        chunked,
      ),
    );
    expect(a.status).toBe(413);
    expect((a.body as { error: { code: string } }).error.code).toBe("payload_too_large");

    const b = parse(
      await rawExchange(
        `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ${MiB}\r\n\r\n`,
        Array.from({ length: MiB / chunk.length }, () => chunk),
      ),
    );
    expect(b.status).toBe(413);
    expect((b.body as { error: { code: string } }).error.code).toBe("payload_too_large");
  },
  60_000,
);
