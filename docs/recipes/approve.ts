// Approve or deny a warrant approval request over HTTP with WebCrypto only
// (Bun, Deno, Node 20+; no packages): fetch the request, recompute its
// action digest from the fields shown, sign a warrant.resolution/v1 with
// your ed25519 key, POST it.
//
// usage: bun approve.ts URL REQUEST_ID KEY_FILE APPROVER approve|deny [REASON]
// env:   WARRANT_HTTP_TOKEN  the read token, when the server sets http.token_env
import { readFileSync } from "node:fs";

const [url, requestId, keyFile, approver, decision, reason] = process.argv.slice(2);
if (!url || !requestId || !keyFile || !approver || !["approve", "deny"].includes(decision!)) {
  console.error("usage: approve.ts URL REQUEST_ID KEY_FILE APPROVER approve|deny [REASON]");
  process.exit(2);
}

/** RFC 8785 canonical JSON (JSON.stringify spells numbers and strings the JCS way). */
const jcs = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(jcs).join(",")}]`
    : v !== null && typeof v === "object"
    ? `{${
      Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs((v as any)[k])}`).join(",")
    }}`
    : JSON.stringify(v);

const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const sha256 = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");

/** A warrant key file (warrant keygen) or a PKCS#8 PEM (openssl genpkey -algorithm ed25519). */
function pkcs8Of(text: string): Uint8Array {
  if (text.trimStart().startsWith("-----BEGIN PRIVATE KEY-----")) {
    return unb64(text.replace(/-----[A-Z ]+-----|\s/g, ""));
  }
  const seed = unb64(JSON.parse(text).secret_key.replace(/^ed25519-secret:/, ""));
  const prefix = [0x30, 0x2e, 2, 1, 0, 0x30, 5, 6, 3, 0x2b, 0x65, 0x70, 4, 0x22, 4, 0x20];
  return new Uint8Array([...prefix, ...seed]); // RFC 8410 PKCS#8 around the 32-byte seed
}

async function call(path: string, body?: object): Promise<any> {
  const token = process.env.WARRANT_HTTP_TOKEN;
  const res = await fetch(`${url}${path}`, {
    method: body ? "POST" : "GET",
    headers: body
      ? { "content-type": "application/json" }
      : token
      ? { authorization: `Bearer ${token}` }
      : {},
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const out = await res.json();
  if (!res.ok) throw new Error(`refused (${res.status} ${out.code}): ${out.detail}`);
  return out;
}

const view = await call(`/v1/approvals/${encodeURIComponent(requestId)}`);
const { action_id, session_id, tool, args, policy, salt } = view;
// salt: the request's random salt, an input of the digest (absent on old requests)
const input = { action_id, session_id, tool, args, policy, ...(salt ? { salt } : {}) };
const digest = `sha256:${await sha256(jcs(input))}`;
if (digest !== view.action_digest) {
  throw new Error(
    `refusing to sign: the shown fields hash to ${digest}, not ${view.action_digest}`,
  );
}
console.log(`${decision} ${tool} ${JSON.stringify(args)} (held by ${view.rules.join(", ")})`);
const now = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const doc: Record<string, string> = {
  type: "warrant.resolution/v1",
  request_id: view.request_id,
  action_id,
  action_digest: digest,
  decision: decision!,
  approver,
  issued_at: iso(now),
  expires_at: iso(now + 10 * 60_000),
  nonce: b64(crypto.getRandomValues(new Uint8Array(16))),
  ...(reason ? { reason } : {}),
};
const key = await crypto.subtle.importKey(
  "pkcs8",
  pkcs8Of(readFileSync(keyFile, "utf8")),
  "Ed25519",
  false,
  ["sign"],
);
const signed = new TextEncoder().encode(`warrant:resolution:v1\n${jcs(doc)}`);
doc.signature = b64(new Uint8Array(await crypto.subtle.sign("Ed25519", key, signed)));
const out = await call(`/v1/approvals/${encodeURIComponent(requestId)}/resolutions`, doc);
console.log(`${out.status}: request ${out.request_id} is ${out.state}`);
