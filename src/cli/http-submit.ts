/**
 * `warrant approve|deny --endpoint URL`: fetch the request from a warrant
 * HTTP endpoint, show it, sign a resolution and POST it.
 */
import { buildResolution, signResolution } from "../core/approval/request.ts";
import { actionDigest } from "../core/digest.ts";
import { WarrantError } from "../core/errors.ts";
import type { ErrorCode } from "../core/errors.ts";
import { EXIT, printJson } from "./io.ts";
import type { CliIO } from "./io.ts";

export interface HttpSubmit {
  endpoint: string;
  requestId: string;
  decision: "approve" | "deny";
  approver: string;
  secret: Uint8Array;
  ttl: number;
  reason: string | undefined;
  io: CliIO;
  json: boolean;
}

/**
 * Submit over HTTP: the request view is checked first (the id typed, every
 * input of the digest present, the digest recomputed here), then signed
 * from this recomputation and posted; the server does every check again.
 */
export async function submitOverHttp(o: HttpSubmit): Promise<number> {
  const base = o.endpoint.replace(/\/+$/, "");
  const token = o.io.env.WARRANT_HTTP_TOKEN;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const url = `${base}/v1/approvals/${encodeURIComponent(o.requestId)}`;
  let got: Response;
  try {
    got = await fetch(url, { headers });
  } catch (e) {
    throw new WarrantError(
      "invalid_argument",
      `Cannot reach ${base}: ${
        (e as Error).message
      }; check --endpoint (the URL warrant serve printed as "listening")`,
    );
  }
  if (got.status === 401) {
    throw new WarrantError(
      "invalid_argument",
      token
        ? `${base} refused the token in WARRANT_HTTP_TOKEN (401); set it to the server's token (the value of the variable its http.token_env names)`
        : `${base} requires a token (401); set WARRANT_HTTP_TOKEN to the server's token (the value of the variable its http.token_env names)`,
    );
  }
  if (got.status === 404) {
    throw new WarrantError("request_not_found", `no approval request "${o.requestId}" at ${base}`);
  }
  if (!got.ok) {
    throw new WarrantError(
      "internal_error",
      `GET ${url} answered ${got.status}: ${await got.text()}`,
    );
  }
  const req = checkedView(await got.json().catch(() => null), o.requestId, url);
  // What is signed comes from this process's own recomputation of the
  // digest over the fields shown, never from the server's say-so: a rogue or
  // intercepted endpoint cannot get a signature for an action nobody saw.
  const digest = recomputedDigest(req, url);
  const shown = `request  ${req.request_id}  ${req.state}\naction   ${req.action_id}\n` +
    `session  ${req.session_id}\ntool     ${req.tool}\nargs     ${JSON.stringify(req.args)}\n` +
    `policy   ${req.policy.id} v${req.policy.version}\n` +
    (req.salt ? `salt     ${req.salt}\n` : "") +
    `digest   ${digest} (recomputed here from the fields above; matches the server's)`;
  if (!o.json) o.io.err(`${o.decision === "approve" ? "approving" : "denying"}:\n${shown}`);
  if (req.state !== "pending") {
    throw new WarrantError("request_closed", `request ${req.request_id} is already ${req.state}`);
  }
  const now = Date.now();
  const doc = signResolution(
    buildResolution({
      request: { id: o.requestId, action_id: req.action_id, action_digest: digest },
      approver: o.approver,
      decision: o.decision,
      issuedAt: now,
      expiresAt: now + o.ttl,
      nonce: crypto.getRandomValues(new Uint8Array(16)),
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
    }),
    o.secret,
  );
  const res = await fetch(`${url}/resolutions`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(doc),
  });
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code: ErrorCode; message: string };
    state?: string;
  };
  if (!res.ok) {
    throw new WarrantError(
      body.error?.code ?? "internal_error",
      body.error?.message ?? `POST answered ${res.status}`,
    );
  }
  if (o.json) printJson(o.io, { status: res.status === 201 ? "accepted" : "duplicate", ...body });
  else {o.io.out(
      `${
        o.decision === "approve" ? "approved" : "denied"
      } by ${o.approver} via ${base} (HTTP ${res.status})`,
    );}
  return EXIT.ok;
}

/** The fields of the request view that the CLI checks before signing. */
interface ShownRequest {
  request_id: string;
  action_id: string;
  session_id: string;
  state: string;
  tool: string;
  args: Record<string, unknown>;
  policy: { id: string; version: number };
  action_digest: string;
  /** An input of the digest when the server sends one (null/absent: an unsalted request). */
  salt?: string | null;
}

/**
 * The server's view, with every input of the action digest present and the
 * request id the one typed; action_mismatch (exit 1, nothing sent) otherwise.
 */
function checkedView(raw: unknown, typed: string, url: string): ShownRequest {
  const v = raw as Partial<ShownRequest> | null;
  const isObj = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === "object" && !Array.isArray(x);
  if (
    !isObj(v) || typeof v.request_id !== "string" || typeof v.action_id !== "string" ||
    typeof v.session_id !== "string" || typeof v.tool !== "string" || !isObj(v.args) ||
    !isObj(v.policy) || typeof v.policy.id !== "string" ||
    !Number.isSafeInteger(v.policy.version) || typeof v.action_digest !== "string" ||
    typeof v.state !== "string" ||
    (v.salt !== undefined && v.salt !== null && typeof v.salt !== "string")
  ) {
    throw new WarrantError(
      "action_mismatch",
      `GET ${url} did not answer a request view with every input of the action digest ` +
        `(action_id, session_id, tool, args, policy); nothing was signed or sent`,
    );
  }
  if (v.request_id !== typed) {
    throw new WarrantError(
      "action_mismatch",
      `GET ${url} answered request "${v.request_id}", not "${typed}" that you asked for; ` +
        `nothing was signed or sent — check the endpoint`,
    );
  }
  return v as ShownRequest;
}

/** actionDigest over the shown fields; digest_mismatch (nothing sent) when the server's differs. */
function recomputedDigest(req: ShownRequest, url: string): string {
  let mine: string;
  try {
    mine = actionDigest({
      action_id: req.action_id,
      session_id: req.session_id,
      tool: req.tool,
      args: req.args,
      policy: { id: req.policy.id, version: req.policy.version },
      salt: req.salt ?? null,
    });
  } catch (e) {
    throw new WarrantError(
      "digest_mismatch",
      `the request at ${url} cannot be digested (${
        (e as Error).message
      }); nothing was signed or sent`,
    );
  }
  if (mine !== req.action_digest) {
    throw new WarrantError(
      "digest_mismatch",
      `the action_digest from ${url} (${req.action_digest}) is not the digest of the action it ` +
        `shows (${mine}): the endpoint would have you sign for another action; nothing was signed or sent`,
    );
  }
  return mine;
}
