/**
 * Opens what a long-running face (gate, serve) or a store-touching verb
 * needs, from one config file: config → store → policy → event bus. The one
 * place that wires adapters to ports.
 */
import { existsSync, readFileSync, statSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { parseConfig } from "../app/config.ts";
import type { Config } from "../app/config.ts";
import { PolicyHolder } from "../app/policy-holder.ts";
import type { Logger, LogLevel } from "../app/ports/system.ts";
import type { DataCodec } from "../app/ports/store.ts";
import { EventBus } from "../bus/event-bus.ts";
import { jsonlSink, stderrSink } from "../bus/jsonl-sink.ts";
import { toWarrantError, WarrantError } from "../core/errors.ts";
import type { Platform } from "../app/ports/platform.ts";
import type { Opened, ProcessIO } from "../app/ports/runtime.ts";
import type { ToolRunner } from "../app/ports/tool-runner.ts";
import { codecFromEnv } from "../store/payload-codec.ts";
import { openConfiguredStore } from "./store-open.ts";
import { ensurePrivateDir, ensurePrivateFile } from "../platform/private-files.ts";
import { startCheckpoints } from "./checkpoints.ts";
import type { CheckpointHandle } from "./checkpoints.ts";

/** What the runtime keeps open for one config: the CLI's `Opened`, plus the event bus faces add sinks to. */
export interface RuntimeEnv extends Opened {
  bus: EventBus;
  /** Where the start went, in ms (logged at debug level once a face is up). */
  startup: StartupTimes;
}

/**
 * The phases of a start, in ms: `before_open` is from the process's start
 * to openRuntime (the runtime itself, evaluating the program's modules,
 * reading argv); then the config file, the store (and the witness check),
 * the policy (read, signature, parse, compile). A face adds its own.
 */
export interface StartupTimes {
  before_open_ms: number;
  config_ms: number;
  store_ms: number;
  policy_ms: number;
}

/** ms since this process started (performance's time origin). */
export const sinceStart = (): number => performance.now();

/** `times` rounded to 0.01 ms, for a log line. */
export function roundedTimes(times: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v * 100) / 100]));
}

/** Read a file's bytes, or null when it does not exist. */
export function readFileOrNull(path: string): Uint8Array | null {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw e;
  }
}

/** Above this, a policy file is parsed under the normal JIT thresholds (see openRuntime). */
const LARGE_POLICY_BYTES = 64 * 1024;

/** A file's size in bytes; 0 when it cannot be read (the loader then says why). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Load and validate the config file (path relative to `cwd`). */
export function loadConfigFile(path: string, cwd: string): Config {
  const file = resolve(cwd, path);
  if (!existsSync(file)) {
    throw new WarrantError(
      "config_not_found",
      `Cannot load config ${file}: no such file; pass --config PATH to your warrant.json`,
    );
  }
  return parseConfig(readFileSync(file, "utf8"), file);
}

/** The configured stderr logger (WARRANT_LOG=debug|info|warn|error). */
export function envLogger(platform: Platform, io: ProcessIO): Logger {
  const level = (io.env.WARRANT_LOG ?? "info") as LogLevel;
  return platform.logger(
    ["debug", "info", "warn", "error"].includes(level) ? level : "info",
    (s) => io.err(s.replace(/\n$/, "")),
  );
}

/**
 * Open config, store (and policy when asked) for `configPath`. Throws
 * WarrantError with the file, field and fix on any failure; on failure
 * nothing stays open.
 */
export function openRuntime(
  platform: Platform,
  configPath: string,
  io: ProcessIO,
  opts: { policy?: boolean; readOnly?: boolean } = {},
): RuntimeEnv {
  const began = sinceStart();
  const config = loadConfigFile(configPath, io.cwd);
  const configured = sinceStart();
  const logger = envLogger(platform, io);
  const codec = codecFromEnv(config.store.encryption_key_env, io.env, platform.aead);
  if (config.store.postgres) {
    // The database is elsewhere: nothing to create or check on this machine.
  } else if (opts.readOnly) {
    if (!existsSync(config.store.path)) {
      throw new WarrantError(
        "not_found",
        `No store at ${config.store.path} yet (nothing has been proposed); check store.path in ${config.file}`,
      );
    }
  } else {
    try {
      ensurePrivateDir(dirname(config.store.path));
      ensurePrivateFile(config.store.path, { sqlite: true });
    } catch (e) {
      throw new WarrantError(
        "store_open_failed",
        `Cannot create the store ${config.store.path}: ${
          (e as Error).message
        }; check store.path in ${config.file}`,
      );
    }
  }
  const store = openConfiguredStore(platform, config, io.env, {
    codec,
    ...(opts.readOnly ? { readOnly: true } : {}),
    ...(config.store.encryption_key_env ? { keyEnvName: config.store.encryption_key_env } : {}),
  });
  // Before anything is written: a store behind its witness is refused.
  let checkpoints: CheckpointHandle | null = null;
  if (!opts.readOnly) {
    try {
      checkpoints = startCheckpoints(config, store, platform.clock, logger);
    } catch (e) {
      store.close();
      throw e;
    }
  }
  const stored = sinceStart();
  if (config.store.synchronous === "normal") {
    logger.log(
      "warn",
      'store.synchronous is "normal": decisions survive a crash but the last ones may be lost on power loss',
      {
        config: config.file,
      },
    );
  }
  const bus = new EventBus(
    logger,
    5000,
    (sink, error, events) =>
      store.tx((tx) =>
        tx.appendEvent({
          type: "sink.failed",
          at: Date.now(),
          payload: { sink, error: error.slice(0, 300), events },
        })
      ),
  );
  if (config.notify?.jsonl) bus.add(jsonlSink(config.notify.jsonl));
  if (io.env.WARRANT_EVENTS_STDERR === "1") {
    bus.add(stderrSink((l) => io.err(l.replace(/\n$/, ""))));
  }
  store.onCommit((events) => bus.publish(events));
  const env: RuntimeEnv = {
    config,
    store,
    bus,
    logger,
    clock: platform.clock,
    ids: platform.ids(),
    isAlive: (pid) => platform.isPidAlive(pid),
    async close() {
      await bus.close();
      checkpoints?.stop(); // the last checkpoint, after the last write
      store.close();
    },
    startup: {
      before_open_ms: began,
      config_ms: configured - began,
      store_ms: stored - configured,
      policy_ms: 0,
    },
  };
  if (opts.policy) {
    // A policy of hundreds of rules runs the same parse and compile code
    // hundreds of times: compiling it pays back (10,000 rules start ~40%
    // slower under the start-up JIT thresholds), so it loads under the normal ones.
    if (fileSize(config.policy.file) > LARGE_POLICY_BYTES) platform.steadyState();
    try {
      env.policy = PolicyHolder.open(
        {
          file: config.policy.file,
          readFile: readFileOrNull,
          signers: config.trust.policy_signers,
          threshold: config.trust.policy_threshold,
          allowUnsigned: config.policy.allow_unsigned,
          project: config.project,
        },
        store,
        platform.clock,
        logger,
        !!opts.readOnly,
      );
    } catch (e) {
      checkpoints?.stop();
      store.close();
      throw e;
    }
    env.startup.policy_ms = sinceStart() - stored;
    if (config.policy.allow_unsigned) {
      logger.log(
        "warn",
        "policy.allow_unsigned is on: unsigned policies are accepted (development mode only)",
        {
          config: config.file,
        },
      );
    }
  }
  return env;
}

/**
 * Open a long-running face (`gate`, `serve`), or print why it cannot start
 * (one line on stderr: file, field, fix, code) and return null.
 */
export function openFace(
  platform: Platform,
  face: string,
  configPath: string,
  io: ProcessIO,
): RuntimeEnv | null {
  try {
    return openRuntime(platform, configPath, io, { policy: true });
  } catch (e) {
    const err = toWarrantError(e);
    io.err(`warrant: ${face} not started: ${err.message} [${err.code}]`);
    return null;
  }
}

/**
 * Keep a long-running face's policy current: reload on SIGHUP and
 * (debounced) when the policy file or its .sig changes. The folder is
 * watched, not the file: editors and deploys replace files by rename, after
 * which a watch on the old file would stay silent. A bad update keeps the
 * active policy (PolicyHolder records why). Returns the function that stops
 * all of it.
 */
export function keepPolicyCurrent(
  env: RuntimeEnv,
  opts: {
    /** Listen for SIGHUP (default true; a worker thread gets its parent's instead). */
    sighup?: boolean;
    /** Also told of each SIGHUP (the gate forwards it to its HTTP thread). */
    onSighup?: () => void;
  } = {},
): () => void {
  const policy = env.policy!;
  const reload = (trigger: string) => {
    const r = policy.reload(trigger);
    if (r.ok && r.changed) {
      env.logger.log("info", "policy reloaded", {
        trigger,
        policy: policy.current.id,
        version: policy.current.version,
      });
    }
  };
  const onHup = () => {
    reload("sighup");
    opts.onSighup?.();
  };
  const sighup = opts.sighup ?? true;
  if (sighup) process.on("SIGHUP", onHup);
  const file = env.config.policy.file;
  const names = new Set([basename(file), `${basename(file)}.sig`]);
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let watcher: { close(): void } | null = null;
  try {
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && !names.has(String(name))) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => reload("file_change"), 150);
    });
  } catch (e) {
    env.logger.log("warn", "cannot watch the policy folder; reload with SIGHUP", {
      error: String(e),
    });
  }
  return () => {
    if (sighup) process.off("SIGHUP", onHup);
    clearTimeout(debounce);
    watcher?.close();
  };
}

/**
 * The payload codec keyed by the variable `varName` of `from` (for
 * `store rotate-key`). Throws payload_key_missing / key_invalid.
 */
export function dataCodecFromEnv(
  platform: Platform,
  varName: string,
  from: Record<string, string | undefined>,
): DataCodec {
  return codecFromEnv(varName, from, platform.aead);
}

/**
 * The runner for the config's declared tools. A tool gets an allow-listed
 * environment taken from `from` (PATH, HOME, LANG, TZ, WARRANT_ACTION_ID and
 * what tools.NAME.env names): never the data key, the HTTP token or any
 * other secret exported to warrant.
 */
export function declaredToolRunner(
  platform: Platform,
  config: Config,
  from: Record<string, string | undefined>,
): ToolRunner {
  return platform.processRunner(
    config.tools,
    config.dir,
    config.gate.tool_exec_timeout_ms,
    from,
  );
}
