/**
 * Key formats, in one place:
 *
 * - public key text: `ed25519:BASE64` (32 bytes, strict padded base64), or an
 *   SPKI PEM ("BEGIN PUBLIC KEY", as from `openssl pkey -pubout`);
 * - secret key files: the warrant JSON key file (below), or a PKCS#8 PEM
 *   ("BEGIN PRIVATE KEY", as from `openssl genpkey -algorithm ed25519`).
 *
 * The warrant key file (written 0600 by `warrant keygen`):
 *
 * ```json
 * {"type":"warrant.key/v1","id":"alice","public_key":"ed25519:…",
 *  "secret_key":"ed25519-secret:BASE64(32-byte seed)","warning":"…"}
 * ```
 */
import { bytesEqual, concatBytes, decodeBase64, encodeBase64 } from "./base64.ts";
import { parseJsonStrict } from "./canonical-json.ts";
import { getPublicKey, isStrictPublicKey } from "./ed25519.ts";
import { WarrantError } from "./errors.ts";

export const PUBLIC_KEY_PREFIX = "ed25519:";
export const SECRET_KEY_PREFIX = "ed25519-secret:";
export const KEY_FILE_TYPE = "warrant.key/v1";
export const KEY_FILE_WARNING =
  "SECRET KEY: keep this file private (mode 0600); share only public_key";

/** Bytes of a DER constant written as hex (well-formed by construction). */
function derBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

/** DER prefix of a PKCS#8 v1 Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const PKCS8_PREFIX = derBytes("302e020100300506032b657004220420");
/** DER prefix of a PKCS#8 v2 (OneAsymmetricKey) key carrying the public key in [1]. */
const PKCS8_V2_PREFIX = derBytes("3051020101300506032b657004220420");
const PKCS8_V2_PUB = new Uint8Array([0x81, 0x21, 0x00]);
/** DER prefix of an SPKI Ed25519 public key; the 32-byte key follows. */
const SPKI_PREFIX = derBytes("302a300506032b6570032100");

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** True when `id` is a valid signer/approver id: 1–64 of [A-Za-z0-9._@-], starting alnum. */
export function isValidKeyId(id: string): boolean {
  return typeof id === "string" && KEY_ID.test(id);
}

/** `ed25519:BASE64` of a 32-byte public key. */
export function formatPublicKey(pub: Uint8Array): string {
  return PUBLIC_KEY_PREFIX + encodeBase64(pub);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && bytesEqual(bytes.subarray(0, prefix.length), prefix);
}

/** Decode a PEM block with the given label; null when absent or not strict base64. */
function pemBody(text: string, label: string): Uint8Array | null {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`).exec(
    text,
  );
  if (!m) return null;
  return decodeBase64(m[1]!.replace(/\s+/g, ""));
}

function pem(label: string, der: Uint8Array): string {
  const b64 = encodeBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** PKCS#8 PEM ("BEGIN PRIVATE KEY") of a 32-byte seed, as openssl writes it. */
export function formatPkcs8Pem(secret: Uint8Array): string {
  return pem("PRIVATE KEY", concatBytes(PKCS8_PREFIX, secret));
}

/** SPKI PEM ("BEGIN PUBLIC KEY") of a 32-byte public key, as openssl writes it. */
export function formatSpkiPem(pub: Uint8Array): string {
  return pem("PUBLIC KEY", concatBytes(SPKI_PREFIX, pub));
}

function badPublic(text: string, why: string): never {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  throw new WarrantError(
    "key_invalid",
    `Invalid public key ${JSON.stringify(shown)}: ${why}; expected "ed25519:" followed by the ` +
      `padded base64 of 32 bytes (as printed by warrant keygen) or an SPKI PEM`,
  );
}

/**
 * Parse a public key: `ed25519:BASE64` or an SPKI PEM. Throws
 * WarrantError("key_invalid") when the text is malformed, the length is not
 * 32 bytes, or the bytes are not a strict, non-small-order curve point.
 *
 * @example parsePublicKey("ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
 */
export function parsePublicKey(text: string): Uint8Array {
  if (typeof text !== "string") badPublic(String(text), "not a string");
  const t = text.trim();
  let pub: Uint8Array | null;
  if (t.startsWith("-----BEGIN PUBLIC KEY-----")) {
    const der = pemBody(t, "PUBLIC KEY");
    if (!der || der.length !== 44 || !startsWith(der, SPKI_PREFIX)) {
      badPublic(t, "the PEM is not an Ed25519 SubjectPublicKeyInfo");
    }
    pub = der.subarray(12);
  } else {
    if (!t.startsWith(PUBLIC_KEY_PREFIX)) badPublic(t, `missing the "${PUBLIC_KEY_PREFIX}" prefix`);
    pub = decodeBase64(t.slice(PUBLIC_KEY_PREFIX.length));
    if (!pub) badPublic(t, "not strict padded base64");
    if (pub.length !== 32) badPublic(t, `${pub.length} bytes instead of 32`);
  }
  if (!isStrictPublicKey(pub)) badPublic(t, "not a valid (canonical, non-small-order) point");
  return pub;
}

/** A secret key read from a key file. */
export interface SecretKey {
  /** The id stored in a warrant key file; null for a PEM. */
  id: string | null;
  /** The 32-byte seed. */
  secret: Uint8Array;
  publicKey: Uint8Array;
  format: "warrant-json" | "pkcs8-pem";
}

function badFile(file: string, why: string): never {
  throw new WarrantError(
    "key_file_invalid",
    `Cannot read key file ${file}: ${why}; expected a warrant key file (warrant keygen) or a ` +
      `PKCS#8 PEM (openssl genpkey -algorithm ed25519)`,
    { file },
  );
}

function parsePkcs8(text: string, file: string): SecretKey {
  const der = pemBody(text, "PRIVATE KEY");
  if (!der) badFile(file, "the PEM body is not valid base64");
  let secret: Uint8Array;
  if (der.length === 48 && startsWith(der, PKCS8_PREFIX)) secret = der.slice(16);
  else if (
    der.length === 83 && startsWith(der, PKCS8_V2_PREFIX) &&
    bytesEqual(der.subarray(48, 51), PKCS8_V2_PUB)
  ) {
    secret = der.slice(16, 48);
    if (!bytesEqual(getPublicKey(secret), der.subarray(51))) {
      badFile(file, "the embedded public key does not match the private key");
    }
  } else badFile(file, "the PEM is not an Ed25519 PKCS#8 private key");
  return { id: null, secret, publicKey: getPublicKey(secret), format: "pkcs8-pem" };
}

function parseWarrantJson(text: string, file: string): SecretKey {
  let doc: unknown;
  try {
    doc = parseJsonStrict(text);
  } catch (e) {
    badFile(file, `not JSON (${e instanceof Error ? e.message : e})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) badFile(file, "not an object");
  const d = doc as Record<string, unknown>;
  const allowed = new Set(["type", "id", "public_key", "secret_key", "warning"]);
  for (const k of Object.keys(d)) if (!allowed.has(k)) badFile(file, `unknown field "${k}"`);
  if (d.type !== KEY_FILE_TYPE) {
    badFile(file, `"type" is ${JSON.stringify(d.type)}, expected "${KEY_FILE_TYPE}"`);
  }
  if (typeof d.id !== "string" || !isValidKeyId(d.id)) {
    badFile(file, `"id" must be 1-64 characters of A-Z a-z 0-9 . _ @ -`);
  }
  if (typeof d.secret_key !== "string" || !d.secret_key.startsWith(SECRET_KEY_PREFIX)) {
    badFile(file, `"secret_key" must start with "${SECRET_KEY_PREFIX}"`);
  }
  const secret = decodeBase64(d.secret_key.slice(SECRET_KEY_PREFIX.length), 32);
  if (!secret) badFile(file, `"secret_key" is not the padded base64 of 32 bytes`);
  const publicKey = getPublicKey(secret);
  if (d.public_key !== undefined && d.public_key !== formatPublicKey(publicKey)) {
    badFile(
      file,
      `"public_key" ${JSON.stringify(d.public_key)} does not match the secret key ` +
        `(${formatPublicKey(publicKey)}); the file was edited or corrupted`,
    );
  }
  return { id: d.id, secret, publicKey, format: "warrant-json" };
}

/**
 * Parse a secret key file's text: a warrant JSON key file or a PKCS#8 PEM
 * (v1, or v2 with a matching embedded public key). `file` is only used in
 * messages. Throws WarrantError("key_file_invalid") naming the file, what
 * is wrong, and the accepted formats.
 *
 * @example parseSecretKeyFile(readText("ops.key"), "ops.key").publicKey
 */
export function parseSecretKeyFile(text: string, file: string): SecretKey {
  const t = text.trim();
  if (t.startsWith("-----BEGIN PRIVATE KEY-----")) return parsePkcs8(t, file);
  if (t.startsWith("-----BEGIN")) badFile(file, `unsupported PEM block "${t.split("\n")[0]}"`);
  if (t.startsWith("{")) return parseWarrantJson(t, file);
  return badFile(file, "neither JSON nor PEM");
}

/**
 * The text of a warrant JSON key file for `id` and a 32-byte seed (ends with
 * a newline). Throws key_invalid for a bad seed, invalid_argument for a bad id.
 */
export function formatKeyFile(id: string, secret: Uint8Array): string {
  if (!isValidKeyId(id)) {
    throw new WarrantError(
      "invalid_argument",
      `Invalid key id ${
        JSON.stringify(id)
      }: use 1-64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit`,
    );
  }
  const publicKey = getPublicKey(secret);
  return JSON.stringify(
    {
      type: KEY_FILE_TYPE,
      id,
      public_key: formatPublicKey(publicKey),
      secret_key: SECRET_KEY_PREFIX + encodeBase64(secret),
      warning: KEY_FILE_WARNING,
    },
    null,
    2,
  ) + "\n";
}
