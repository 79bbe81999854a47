/**
 * `warrant approve|deny --endpoint URL`: fetch the request from a warrant
 * HTTP endpoint, show it, sign a resolution and POST it.
 */
import { buildResolution, signResolution } from "../core/approval/request.ts";
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

/** Submit over HTTP; the server does every check again. */
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
  const req = (await got.json()) as {
    request_id: string;
    action_id: string;
    action_digest: string;
    state: string;
    tool: string;
    args: unknown;
  };
  if (!o.json) {
    o.io.err(
      `request  ${req.request_id}  ${req.state}\ntool     ${req.tool}\nargs     ${
        JSON.stringify(req.args)
      }\ndigest   ${req.action_digest}`,
    );
  }
  if (req.state !== "pending") {
    throw new WarrantError("request_closed", `request ${req.request_id} is already ${req.state}`);
  }
  const now = Date.now();
  const doc = signResolution(
    buildResolution({
      request: { id: req.request_id, action_id: req.action_id, action_digest: req.action_digest },
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
