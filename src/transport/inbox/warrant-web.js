/* @ts-self-types="./warrant-web.types.d.ts" */
// The approver page's formats, in plain browser JavaScript (no build step):
// RFC 8785 canonical JSON, the action digest, key files, and the signed
// resolution. It mirrors src/core (canonical-json.ts, digest.ts, keys.ts,
// approval/request.ts); test/transport/inbox-web.test.ts runs it against the
// same vectors and against core's own functions, so the two cannot drift.
// Only WebCrypto is used for hashing and signing; @noble/ed25519 (served by
// the binary) is the fallback for browsers without Ed25519 in WebCrypto.

export const RESOLUTION_TYPE = "warrant.resolution/v1";
export const RESOLUTION_DOMAIN = "warrant:resolution:v1\n";
export const PUBLIC_KEY_PREFIX = "ed25519:";
export const SECRET_KEY_PREFIX = "ed25519-secret:";
export const KEY_FILE_TYPE = "warrant.key/v1";

const enc = new TextEncoder();

function invalid(path, what) {
  throw new Error(`Cannot canonicalize JSON at ${path}: ${what}`);
}

function hasLoneSurrogate(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function encode(v, path, depth) {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) invalid(path, `number ${v} is not finite`);
    return JSON.stringify(v);
  }
  if (typeof v === "string") {
    if (hasLoneSurrogate(v)) invalid(path, "string contains a lone UTF-16 surrogate");
    return JSON.stringify(v);
  }
  if (typeof v !== "object") return invalid(path, `a value of type ${typeof v}`);
  if (depth >= 512) invalid(path, "nesting deeper than 512");
  if (Array.isArray(v)) {
    const parts = [];
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) invalid(`${path}[${i}]`, "an array hole");
      parts.push(encode(v[i], `${path}[${i}]`, depth + 1));
    }
    return `[${parts.join(",")}]`;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) invalid(path, "a non-plain object");
  // Default sort compares UTF-16 code units, which is what RFC 8785 asks.
  const keys = Object.keys(v).sort();
  const parts = [];
  for (const k of keys) {
    if (hasLoneSurrogate(k)) invalid(`${path}.${k}`, "string contains a lone UTF-16 surrogate");
    parts.push(`${JSON.stringify(k)}:${encode(v[k], `${path}.${k}`, depth + 1)}`);
  }
  return `{${parts.join(",")}}`;
}

/** RFC 8785 canonical JSON text of `value`; throws on NaN, Infinity, lone surrogates. */
export function canonicalize(value) {
  return encode(value, "$", 0);
}

/** Lowercase hex of bytes. */
export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Standard padded base64 of bytes. */
export function toBase64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Bytes of strict padded base64 (null when not strict, or not `len` bytes when given). */
export function fromBase64(text, len) {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    return null;
  }
  let bin;
  try {
    bin = atob(text);
  } catch {
    return null;
  }
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (toBase64(out) !== text) return null; // non-zero trailing bits: not the one spelling
  if (len !== undefined && out.length !== len) return null;
  return out;
}

async function sha256Hex(bytes) {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/**
 * The fields of a request view that action_digest commits to, exactly as
 * core's actionDigest() picks them (src/core/digest.ts).
 */
export function actionDigestInput(view) {
  return {
    action_id: view.action_id,
    session_id: view.session_id,
    tool: view.tool,
    args: view.args,
    policy: { id: view.policy.id, version: view.policy.version },
    // The request's random salt, when it has one (requests made before salts do not).
    ...(view.salt ? { salt: view.salt } : {}),
  };
}

/** "sha256:" + hex(sha256(JCS(digest input))) recomputed from the shown fields. */
export async function actionDigest(view) {
  return `sha256:${await sha256Hex(enc.encode(canonicalize(actionDigestInput(view))))}`;
}

/**
 * Check a request view before signing: the digest recomputed from the fields
 * on screen must equal the one the server asks us to sign, and the template
 * must name this request. Returns null when fine, else why not.
 */
export async function digestProblem(view) {
  let mine;
  try {
    mine = await actionDigest(view);
  } catch (e) {
    return `cannot recompute the action digest: ${e.message}`;
  }
  if (mine !== view.action_digest) {
    return `the action digest ${view.action_digest} does not match the shown fields (${mine})`;
  }
  const t = view.resolution_template;
  if (
    t && (t.action_digest !== mine || t.request_id !== view.request_id ||
      t.action_id !== view.action_id)
  ) {
    return "the resolution template does not name the request shown";
  }
  return null;
}

const PKCS8_PREFIX = "302e020100300506032b657004220420";
const PKCS8_V2_PREFIX = "3051020101300506032b657004220420";

function pemBody(text, label) {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`)
    .exec(text);
  return m ? fromBase64(m[1].replace(/\s+/g, "")) : null;
}

/** PKCS#8 DER of a 32-byte seed (what WebCrypto imports). */
export function pkcs8FromSeed(seed) {
  const out = new Uint8Array(48);
  out.set(Uint8Array.from(PKCS8_PREFIX.match(/../g), (h) => parseInt(h, 16)));
  out.set(seed, 16);
  return out;
}

/**
 * Parse a secret key file's text: warrant's JSON key file
 * (`"secret_key": "ed25519-secret:BASE64"`) or a PKCS#8 PEM (v1, or v2 with
 * the public key). Returns { id, seed, publicKey (or null: check after
 * import), format }. Throws with what is wrong.
 */
export function parseKeyFile(text) {
  const t = String(text).trim();
  if (t.startsWith("-----BEGIN PRIVATE KEY-----")) {
    const der = pemBody(t, "PRIVATE KEY");
    const h = der ? hex(der) : "";
    if (der && der.length === 48 && h.startsWith(PKCS8_PREFIX)) {
      return { id: null, seed: der.slice(16), publicKey: null, format: "pkcs8-pem" };
    }
    if (
      der && der.length === 83 && h.startsWith(PKCS8_V2_PREFIX) && h.slice(96, 102) === "812100"
    ) {
      return { id: null, seed: der.slice(16, 48), publicKey: der.slice(51), format: "pkcs8-pem" };
    }
    throw new Error("the PEM is not an Ed25519 PKCS#8 private key");
  }
  if (t.startsWith("{")) {
    let d;
    try {
      d = JSON.parse(t);
    } catch {
      throw new Error("the key file is not valid JSON");
    }
    if (d === null || typeof d !== "object" || d.type !== KEY_FILE_TYPE) {
      throw new Error(`the key file's "type" must be "${KEY_FILE_TYPE}"`);
    }
    if (typeof d.secret_key !== "string" || !d.secret_key.startsWith(SECRET_KEY_PREFIX)) {
      throw new Error(`"secret_key" must start with "${SECRET_KEY_PREFIX}"`);
    }
    const seed = fromBase64(d.secret_key.slice(SECRET_KEY_PREFIX.length), 32);
    if (!seed) throw new Error(`"secret_key" is not the padded base64 of 32 bytes`);
    let publicKey = null;
    if (typeof d.public_key === "string") {
      publicKey = fromBase64(d.public_key.slice(PUBLIC_KEY_PREFIX.length), 32);
      if (!d.public_key.startsWith(PUBLIC_KEY_PREFIX) || !publicKey) {
        throw new Error(`"public_key" is not ed25519:BASE64 of 32 bytes`);
      }
    }
    return { id: typeof d.id === "string" ? d.id : null, seed, publicKey, format: "warrant-json" };
  }
  throw new Error("expected a warrant key file (warrant keygen) or a PKCS#8 PEM");
}

/** "2026-11-23T10:00:00Z" (seconds precision, as core's isoUtc for whole seconds). */
export function isoSeconds(ms) {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * The unsigned `warrant.resolution/v1` for a view. Validity: issued now,
 * expires in `lifetimeMs` (default 10 min). `nonce` is 16 random bytes.
 */
export function buildResolution(
  { view, approver, decision, reason, now, nonce, lifetimeMs = 600_000 },
) {
  const doc = {
    type: RESOLUTION_TYPE,
    request_id: view.request_id,
    action_id: view.action_id,
    action_digest: view.action_digest,
    decision,
    approver,
    issued_at: isoSeconds(now),
    expires_at: isoSeconds(now + lifetimeMs),
    nonce: toBase64(nonce),
  };
  if (reason) doc.reason = reason;
  return doc;
}

/** The bytes an approver signs: RESOLUTION_DOMAIN + JCS(doc without signature). */
export function signingBytes(doc) {
  const rest = {};
  for (const [k, v] of Object.entries(doc)) if (k !== "signature") rest[k] = v;
  return enc.encode(RESOLUTION_DOMAIN + canonicalize(rest));
}
