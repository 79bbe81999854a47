// Types of warrant-web.js (the page's plain-JS module), for the tests that
// check it against src/core.
export const RESOLUTION_TYPE: "warrant.resolution/v1";
export const RESOLUTION_DOMAIN: string;
export const PUBLIC_KEY_PREFIX: string;
export const SECRET_KEY_PREFIX: string;
export const KEY_FILE_TYPE: string;
export function canonicalize(value: unknown): string;
export function hex(bytes: Uint8Array): string;
export function toBase64(bytes: Uint8Array): string;
export function fromBase64(text: string, len?: number): Uint8Array | null;
export interface ShownView {
  request_id: string;
  action_id: string;
  session_id: string;
  tool: string;
  args: Record<string, unknown>;
  policy: { id: string; version: number };
  action_digest: string;
  salt?: string | null;
  resolution_template?: { request_id: string; action_id: string; action_digest: string };
}
export function actionDigestInput(view: ShownView): Record<string, unknown>;
export function actionDigest(view: ShownView): Promise<string>;
export function digestProblem(view: ShownView): Promise<string | null>;
export function pkcs8FromSeed(seed: Uint8Array): Uint8Array;
export function parseKeyFile(text: string): {
  id: string | null;
  seed: Uint8Array;
  publicKey: Uint8Array | null;
  format: "pkcs8-pem" | "warrant-json";
};
export function isoSeconds(ms: number): string;
export function buildResolution(input: {
  view: ShownView;
  approver: string;
  decision: "approve" | "deny";
  reason?: string;
  now: number;
  nonce: Uint8Array;
  lifetimeMs?: number;
}): Record<string, string>;
export function signingBytes(doc: Record<string, unknown>): Uint8Array;
