/**
 * The HTTP face, assembled: the Hono app over the store, its SSE hub,
 * webhook and metrics, on a listening socket. `warrant serve` and
 * `warrant runtime gate --http HOST:PORT` both start it through `startHttp`.
 */
import { EventBus } from "../bus/event-bus.ts";
import { SseHub } from "../bus/sse-hub.ts";
import { webhookSink } from "../bus/webhook-sink.ts";
import { toWarrantError, WarrantError } from "../core/errors.ts";
import type { Platform } from "../app/ports/platform.ts";
import type { ProcessIO } from "../app/ports/runtime.ts";
import { BODY_DRAIN_MAX_BYTES, createHttpApp } from "../transport/http/app.ts";
import { BEARER_TOKEN_SYNTAX } from "../transport/http/guards.ts";
import type { RateLimit } from "../transport/http/guards.ts";
import { countPending, createHttpMetrics } from "../transport/http/metrics.ts";
import { EXIT, UsageError } from "../cli/io.ts";
import { keepPolicyCurrent, openFace } from "./open.ts";
import { precomputeBaseTable } from "../core/ed25519.ts";
import type { RuntimeEnv } from "./open.ts";
import { requestView } from "../app/request-view.ts";
import { describeEvent } from "../app/notify-summary.ts";
import { parseWebhookSecret } from "../core/standard-webhooks.ts";

/**
 * Default of http.replay_mb_per_s. A replay of 100,000 events (~23 MB)
 * takes ~0.2 s at this rate; 300 clients replaying them at once take about
 * a minute instead of saturating a core (with the 2 cores of the replay
 * load test, governs' p99 went from ~2x to ~1.2x their quiet p99).
 */
const REPLAY_MB_PER_S = 128;

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
export async function startHttp(
  platform: Platform,
  env: RuntimeEnv,
  listen: string,
  io: ProcessIO,
  opts: {
    /** Another commit signal (the gate's thread pings its HTTP thread on each commit). */
    commits?: (listener: () => void) => () => void;
  } = {},
): Promise<HttpHandle> {
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
    if (!BEARER_TOKEN_SYNTAX.test(token)) {
      throw new WarrantError(
        "config_invalid",
        `the token in ${config.http.token_env} has characters a bearer token cannot carry ` +
          `(RFC 6750: letters, digits, - . _ ~ + / and trailing =); generate one with ` +
          `\`openssl rand -hex 32\``,
      );
    }
  } else if (!isLoopback(hostname)) {
    logger.log("warn", "serving on a non-loopback address without a read token", {
      listen,
      fix: "set http.token_env in the config and export that variable",
    });
  }
  let webhookKey: Uint8Array | undefined;
  const secretEnv = config.notify?.webhook_secret_env;
  if (secretEnv) {
    const secret = io.env[secretEnv] ?? "";
    if (secret === "") {
      throw new WarrantError(
        "config_invalid",
        `notify.webhook_secret_env names ${secretEnv} but it is not set; export it with the ` +
          `receiver's whsec_ secret`,
      );
    }
    webhookKey = parseWebhookSecret(secret);
  } else if (config.notify?.webhook_url) {
    logger.log("warn", "webhooks are sent unsigned", {
      fix: "set notify.webhook_secret_env and export a whsec_ secret shared with the receiver",
    });
  }
  const policy = env.policy;
  if (!policy) {
    throw new WarrantError("internal_error", "startHttp needs a runtime opened with the policy");
  }

  const signals = [
    ...(store.watchCommits ? [(l: () => void) => store.watchCommits!(l)] : []),
    ...(opts.commits ? [opts.commits] : []),
  ];
  const hub = new SseHub(store, {
    ...(signals.length > 0
      ? {
        watch: (l: () => void) => {
          const stops = signals.map((w) => w(l));
          return () => stops.forEach((s) => s());
        },
      }
      : {}),
    onError: (e) => logger.log("warn", "event tail read failed", { error: String(e) }),
    replayBytesPerSec: (config.http.replay_mb_per_s ?? REPLAY_MB_PER_S) * 1_000_000,
  });
  const pending = store.tx((tx) => {
    hub.start(tx.lastEventSeq());
    return countPending(tx);
  });
  env.bus.add(hub);
  const tailBus = new EventBus(logger);
  const webhookUrl = config.notify?.webhook_url;
  let inboxBase: string | null = config.http.public_url ?? null; // else the bound URL, below
  if (webhookUrl) {
    tailBus.add(webhookSink({
      url: webhookUrl,
      ...(webhookKey ? { secret: webhookKey } : {}),
      describe: (e) => ({ ...describeEvent(store, e, inboxBase) }),
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
    view: (r, known) => requestView({ store, policy }, r, known),
    hub,
    metrics,
    token,
    ...(rateLimit !== undefined ? { rateLimit } : {}),
  });
  let server;
  try {
    server = platform.serveHttp((req, b) => app.fetch(req, b), {
      hostname,
      port,
      // Larger than the app's own limit on purpose: the app answers 413 with
      // a JSON body after draining; the platform would close without one.
      maxRequestBodySize: BODY_DRAIN_MAX_BYTES,
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
  inboxBase ??= url;
  // A log line like every other (t, level): log shippers parse them all alike.
  io.err(JSON.stringify({ t: new Date().toISOString(), level: "info", msg: "listening", url }));
  platform.steadyState();
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

/**
 * `warrant serve`: open `configPath`, serve HTTP on `listen` (default
 * http.listen) until SIGTERM/SIGINT, reload the policy on SIGHUP or file
 * change. Returns the exit code; prints why when it cannot start. Throws
 * UsageError on a malformed address.
 */
export async function runServe(
  platform: Platform,
  configPath: string,
  listen: string | undefined,
  io: ProcessIO,
): Promise<number> {
  // SIGTERM/SIGINT are taken before the server says "listening": one that
  // arrives while it starts (or right after) stops it cleanly once it is
  // up, instead of killing a half-started process. A second one exits now.
  let signalled: string | null = null;
  let wake = () => {};
  const onSignal = (sig: string) => {
    if (signalled !== null) process.exit(sig === "SIGINT" ? 130 : 143);
    signalled = sig;
    wake();
  };
  const onTerm = () => onSignal("SIGTERM");
  const onInt = () => onSignal("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  const offSignals = () => {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  };
  const env = openFace(platform, "serve", configPath, io);
  if (!env) {
    offSignals();
    return EXIT.error;
  }
  let http: HttpHandle;
  try {
    http = await startHttp(platform, env, listen ?? env.config.http.listen, io);
  } catch (e) {
    offSignals();
    await env.close();
    if (e instanceof UsageError) throw e;
    const err = toWarrantError(e);
    io.err(`warrant: serve not started: ${err.message} [${err.code}]`);
    return EXIT.error;
  }
  const stopReloading = keepPolicyCurrent(env);
  await new Promise<void>((resolve) => {
    wake = resolve;
    if (signalled !== null) resolve();
  });
  offSignals();
  env.logger.log("info", "serve stopping", { reason: signalled });
  stopReloading();
  await http.stop();
  await env.close();
  return EXIT.ok;
}
