/**
 * The endpoint's floor: a bare Bun.serve doing the least an approval
 * endpoint with warrant's promises must do per request, done plainly, so
 * that bench/http.ts can say whether an aim is reachable at all here.
 *
 * - GET (any path): a fixed JSON body of a request view's size — what any
 *   Bun HTTP server costs per GET on this machine.
 * - POST /v1/approvals/:id/resolutions: parse the body, verify the
 *   resolution's Ed25519 signature over its canonical signing bytes (the
 *   same bytes warrant verifies, src/core/approval/request.ts) with the
 *   runtime's native verify (node:crypto), record it in SQLite (WAL,
 *   synchronous=FULL; a nonce seen before is refused) and answer 201 once
 *   the row is durable. POSTs that arrive in the same event-loop turn share
 *   one transaction (group commit, as warrant's store does), so under load
 *   this is a bound for warrant too. No strict JSON, no schema, no quorum,
 *   no audit chain, no request lookup.
 *
 *   bun bench/floor-serve.ts --db /tmp/floor.db --keys '{"a1":"ed25519:BASE64",...}'
 *
 * Prints the port it listens on (127.0.0.1) as its first stdout line.
 */
import { Database } from "bun:sqlite";
import { createPublicKey, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { resolutionSigningBytes } from "../src/core/approval/request.ts";
import type { Resolution } from "../src/core/approval/request.ts";

const arg = (name: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`floor-serve: --${name} is required`);
  return v;
};

const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
const keys = new Map<string, KeyObject>(
  Object.entries(JSON.parse(arg("keys")) as Record<string, string>).map(([id, k]) => [
    id,
    createPublicKey({
      key: Buffer.concat([SPKI_ED25519, Buffer.from(k.replace(/^ed25519:/, ""), "base64")]),
      format: "der",
      type: "spki",
    }),
  ]),
);

const db = new Database(arg("db"), { create: true });
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = FULL");
db.exec(
  "CREATE TABLE IF NOT EXISTS resolutions (nonce TEXT PRIMARY KEY, request_id TEXT NOT NULL, " +
    "approver TEXT NOT NULL, decision TEXT NOT NULL, body TEXT NOT NULL)",
);
const insert = db.query(
  "INSERT INTO resolutions (nonce, request_id, approver, decision, body) VALUES (?, ?, ?, ?, ?) " +
    "ON CONFLICT (nonce) DO NOTHING",
);

/** POSTs verified in this event-loop turn, committed together (see commitTurn). */
let turn: Array<{ doc: Resolution; text: string; done: (inserted: boolean) => void }> = [];
/** One transaction for the turn's rows: each POST is answered once its row is durable. */
function commitTurn(): void {
  const batch = turn;
  turn = [];
  const inserted: boolean[] = [];
  db.transaction(() => {
    for (const { doc, text } of batch) {
      const r = insert.run(doc.nonce, doc.request_id, doc.approver, doc.decision, text);
      inserted.push(r.changes > 0);
    }
  })();
  batch.forEach((b, i) => b.done(inserted[i]!));
}
function record(doc: Resolution, text: string): Promise<boolean> {
  return new Promise((done) => {
    turn.push({ doc, text, done });
    if (turn.length === 1) setImmediate(commitTurn);
  });
}

const VIEW = JSON.stringify({ pad: "x".repeat(1200) });
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    if (req.method === "GET") {
      return new Response(VIEW, { headers: { "content-type": "application/json" } });
    }
    const text = await req.text();
    let doc: Resolution;
    try {
      doc = JSON.parse(text) as Resolution;
    } catch {
      return json(400, { error: "invalid_json" });
    }
    const key = keys.get(doc.approver);
    let ok = false;
    try {
      ok = key !== undefined &&
        verify(null, resolutionSigningBytes(doc), key, Buffer.from(doc.signature, "base64"));
    } catch { /* a malformed document does not verify */ }
    if (!ok) return json(403, { error: "signature_invalid" });
    if (!(await record(doc, text))) return json(409, { error: "nonce_replayed" });
    return json(201, { request_id: doc.request_id, approver: doc.approver });
  },
});
console.log(server.port);
