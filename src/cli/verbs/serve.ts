/**
 * `warrant serve --config FILE [--listen HOST:PORT]`: the HTTP approval
 * endpoint over the same store as the gates. The wiring lives in
 * runtime/http.ts, reached through the Runtime port.
 */
import { flagString } from "../io.ts";
import type { Verb } from "../io.ts";

const HELP = `warrant serve — the HTTP approval endpoint

Usage: warrant serve [--config FILE] [--listen HOST:PORT]

Serves, over the store named in the config (the same SQLite file the gates use):
  GET  /                                         the approver's inbox (open it in a browser)
  GET  /openapi.json                             this API, OpenAPI 3.1 (no auth)
  GET  /healthz                                  liveness (no auth)
  GET  /metrics                                  Prometheus text
  GET  /v1/approvals?state=&limit=&cursor=       requests, oldest id first
  GET  /v1/approvals/REQUEST_ID                  a request, its digest and resolution template
  POST /v1/approvals/REQUEST_ID/resolutions      a signed resolution (201 accepted, 200 again)
  GET  /v1/actions/ACTION_ID                     an action's state and outcome
  GET  /v1/events?after=&type=&action=           audit events as Server-Sent Events
  GET  /v1/audit/verify                          the audit hash chain's status
Reads need "Authorization: Bearer TOKEN" when http.token_env is set in the
config (the variable holds the token); resolutions are authenticated by their
signatures. Errors are RFC 9457 application/problem+json with a "code".
Webhooks (notify.webhook_url) are signed per Standard Webhooks with the
whsec_ secret in the variable named by notify.webhook_secret_env.
On start it prints {"t":...,"level":"info","msg":"listening","url":...}
on stderr.

Flags:
  --config FILE        warrant.json (default: $WARRANT_CONFIG, then ./warrant.json)
  --listen HOST:PORT   address to bind (default: http.listen, 127.0.0.1:8787;
                       port 0 picks a free one)

Environment:
  WARRANT_HTTP_RATE    per-client rate limit "PER_SECOND:BURST" (default 50:100) or "off"

Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reloads the policy.

Example:
  WARRANT_HTTP_TOKEN=$(openssl rand -hex 16) warrant serve --config ./warrant.json --listen 127.0.0.1:8787
  curl -H "Authorization: Bearer $WARRANT_HTTP_TOKEN" http://127.0.0.1:8787/v1/approvals?state=pending`;

/** `warrant serve`. */
export const serveVerb: Verb = {
  name: "serve",
  summary: "serve the HTTP approval endpoint over the store",
  help: HELP,
  flags: { config: { type: "string" }, listen: { type: "string" } },
  face: true,
  async run(args, io) {
    const configPath = flagString(args, "config") ?? (io.env.WARRANT_CONFIG || "warrant.json");
    return await io.runtime.serve(configPath, flagString(args, "listen"), io);
  },
};
