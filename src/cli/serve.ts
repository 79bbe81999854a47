/**
 * `warrant serve --config FILE [--listen HOST:PORT]`: the HTTP approval
 * endpoint over the same store as the gates. `startHttp` is also what
 * `warrant runtime gate --http HOST:PORT` calls to run it in the gate.
 */
import { EventBus } from "../bus/event-bus.ts";
import { SseHub } from "../bus/sse-hub.ts";
import { webhookSink } from "../bus/webhook-sink.ts";
import { toWarrantError, WarrantError } from "../core/errors.ts";
import { serveHttp } from "../platform/http-server.ts";
import { createHttpApp } from "../transport/http-app.ts";
import type { RateLimit } from "../transport/http-guards.ts";
import { countPending, createHttpMetrics } from "../transport/http-metrics.ts";
import { EXIT, flagString, requireFlag, UsageError } from "./io.ts";
import type { CliIO, Verb } from "./io.ts";
import { keepPolicyCurrent, openFace } from "./runtime-env.ts";
import { precomputeBaseTable } from "../core/ed25519.ts";
import type { RuntimeEnv } from "./runtime-env.ts";
import { requestView } from "./views.ts";

const HELP = `warrant serve — the HTTP approval endpoint

Usage: warrant serve --config FILE [--listen HOST:PORT]

Serves, over the store named in the config (the same SQLite file the gates use):
  GET  /healthz                                  liveness (no auth)
  GET  /metrics                                  Prometheus text
  GET  /v1/approvals?state=&limit=&cursor=       requests, oldest id first
  GET  /v1/approvals/REQUEST_ID                  a request, its digest and resolution template
  POST /v1/approvals/REQUEST_ID/resolutions      a signed resolution (201 accepted, 200 again)
  GET  /v1/actions/ACTION_ID                     an action's state and outcome
  GET  /v1/events?after=&type=&action=           audit events as Server-Sent Events
Reads need "Authorization: Bearer TOKEN" when http.token_env is set in the
config (the variable holds the token); resolutions are authenticated by their
signatures. On start it prints {"msg":"listening","url":...} on stderr.

Flags:
  --config FILE        warrant.json (required)
  --listen HOST:PORT   address to bind (default: http.listen, 127.0.0.1:8787;
                       port 0 picks a free one)

Environment:
  WARRANT_HTTP_RATE    per-client rate limit "PER_SECOND:BURST" (default 50:100) or "off"

Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reloads the policy.

Example:
  WARRANT_HTTP_TOKEN=$(openssl rand -hex 16) warrant serve --config ./warrant.json --listen 127.0.0.1:8787
  curl -H "Authorization: Bearer $WARRANT_HTTP_TOKEN" http://127.0.0.1:8787/v1/approvals?state=pending`;

/** A running HTTP endpoint. */
export interface HttpHandle {
  url: string;
  hostname: string;
  port: number;
  /** Stop accepting, end event streams, finish in-flight requests. Idempotent. */
  stop(): Promise<void>;
}

/** Split "HOST:PORT" or "[V6]:PORT". Throws UsageError on anything else. */
export function parseListen(listen: string): { hostname: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(listen) ??
    /^([^\s:[\]]+):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || port > 65535) {
    throw new UsageError(`--listen must be HOST:PORT like 127.0.0.1:8787, got "${listen}"`);
  }
  return { hostname: m[1]!, port };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function rateFromEnv(v: string | undefined): RateLimit | null | undefined {
  if (v === undefined || v === "") return undefined;
  if (v === "off") return null;
  const m = /^(\d+(?:\.\d+)?):(\d+)$/.exec(v);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) < 1) {
    throw new UsageError(
      `WARRANT_HTTP_RATE must be PER_SECOND:BURST (e.g. 50:100) or off, got "${v}"`,
    );
  }
  return { perSecond: Number(m[1]), burst: Number(m[2]) };
}

/**
 * Start the HTTP endpoint for `env` on `listen` and print the readiness line.
 * Throws WarrantError (config_invalid) when http.token_env names an unset
 * variable, UsageError on a bad address, and the bind error when the port is
 * taken. Installs no signal handlers: the caller owns the process.
 */
export async function startHttp(env: RuntimeEnv, listen: string, io: CliIO): Promise<HttpHandle> {
  precomputeBaseTable(); // a server verifies many resolutions: pay the table once
  const { config, store, logger } = env;
  const { hostname, port } = parseListen(listen);
  const rateLimit = rateFromEnv(io.env.WARRANT_HTTP_RATE);
  let token: string | null = null;
  if (config.http.token_env) {
    token = io.env[config.http.token_env] ?? "";
    if (token === "") {
      throw new WarrantError(
        "config_invalid",
        `http.token_env names ${config.http.token_env} but it is not set; export it with the bearer token readers will send`,
      );
    }
  } else if (!isLoopback(hostname)) {
    logger.log("warn", "serving on a non-loopback address without a read token", {
      listen,
      fix: "set http.token_env in the config and export that variable",
    });
  }
  const policy = env.policy;
  if (!policy) {
    throw new WarrantError("internal_error", "startHttp needs a runtime opened with the policy");
  }

  const hub = new SseHub(store, {
    onError: (e) => logger.log("warn", "event tail read failed", { error: String(e) }),
  });
  const pending = store.tx((tx) => {
    hub.start(tx.lastEventSeq());
    return countPending(tx);
  });
  env.bus.add(hub);
  const tailBus = new EventBus(logger);
  const webhookUrl = config.notify?.webhook_url;
  if (webhookUrl) {
    tailBus.add(webhookSink({
      url: webhookUrl,
      onFailed: (f) => {
        try {
          store.tx((tx) =>
            tx.appendEvent({
              type: "notify.failed",
              payload: { sink: "webhook", ...f },
              at: env.clock.now(),
            })
          );
        } catch (e) {
          logger.log("warn", "cannot record notify.failed", { error: String(e) });
        }
      },
    }));
  }
  const metrics = createHttpMetrics({
    sinkStats: () => ({ ...env.bus.stats(), ...tailBus.stats() }),
    sseClients: () => hub.size,
  }, pending);
  hub.tap((events) => metrics.onEvents(events));
  hub.tap((events) => tailBus.publish(events));

  const app = createHttpApp({
    store,
    clock: env.clock,
    logger,
    policy: () => policy.current,
    view: (r) => requestView({ store, policy }, r),
    hub,
    metrics,
    token,
    ...(rateLimit !== undefined ? { rateLimit } : {}),
  });
  let server;
  try {
    server = serveHttp((req, b) => app.fetch(req, b), {
      hostname,
      port,
      maxRequestBodySize: 64 * 1024,
    });
  } catch (e) {
    hub.close();
    await tailBus.close();
    throw new WarrantError(
      "invalid_argument",
      `cannot listen on ${listen}: ${(e as Error).message}; pick another --listen address`,
    );
  }
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  const url = `http://${host}:${server.port}`;
  io.err(JSON.stringify({ msg: "listening", url }));
  let stopping: Promise<void> | null = null;
  return {
    url,
    hostname: server.hostname,
    port: server.port,
    stop() {
      stopping ??= (async () => {
        hub.close();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const graceful = server.stop(false);
        const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), 5000)));
        if ((await Promise.race([graceful, late])) === "late") await server.stop(true);
        clearTimeout(timer);
        await tailBus.close();
      })();
      return stopping;
    },
  };
}

export const serveVerb: Verb = {
  name: "serve",
  summary: "serve the HTTP approval endpoint over the store",
  help: HELP,
  flags: { config: { type: "string" }, listen: { type: "string" } },
  async run(args, io) {
    const configPath = requireFlag(args, "config", "the path to warrant.json");
    const env = openFace("serve", configPath, io);
    if (!env) return EXIT.error;
    let http: HttpHandle;
    try {
      http = await startHttp(env, flagString(args, "listen") ?? env.config.http.listen, io);
    } catch (e) {
      await env.close();
      if (e instanceof UsageError) throw e;
      const err = toWarrantError(e);
      io.err(`warrant: serve not started: ${err.message} [${err.code}]`);
      return EXIT.error;
    }
    const stopReloading = keepPolicyCurrent(env);
    await new Promise<void>((resolve) => {
      const onSignal = (sig: string) => {
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onInt);
        env.logger.log("info", "serve stopping", { reason: sig });
        resolve();
      };
      const onTerm = () => onSignal("SIGTERM");
      const onInt = () => onSignal("SIGINT");
      process.on("SIGTERM", onTerm);
      process.on("SIGINT", onInt);
    });
    stopReloading();
    await http.stop();
    await env.close();
    return EXIT.ok;
  },
};
