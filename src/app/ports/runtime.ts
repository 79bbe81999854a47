/**
 * The Runtime port: the composition root (runtime/runtime.ts) as the CLI
 * sees it. The CLI receives one and never names a store, platform or bus
 * class; every concrete class is chosen behind this interface.
 */
import type { Config } from "../config.ts";
import type { PolicyHolder } from "../policy-holder.ts";
import type { DataCodec, Store } from "./store.ts";
import type { Files } from "./files.ts";
import type { Clock, Ids, Logger } from "./system.ts";
import type { ToolRunner } from "./tool-runner.ts";

/** The process as a face sees it: line printers, environment, working folder. */
export interface ProcessIO {
  /** Write a line to stdout. */
  out(line: string): void;
  /** Write a line to stderr. */
  err(line: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** What is open for one config file: store, policy and the world's ports. */
export interface Opened {
  config: Config;
  store: Store;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  isAlive: (pid: number) => boolean;
  /** Present when opened with `policy: true`. */
  policy?: PolicyHolder;
  /** Flush event sinks, close the store. */
  close(): Promise<void>;
}

/**
 * The byte streams a stdio gate serves: this process's stdin/stdout, or a
 * test's in-memory pipes (the in-process transcript tests).
 */
export interface GateStdio {
  /**
   * Write one protocol line (already ending in "\n"). `hold`: other lines
   * are on their way (the gate has other requests open), so a writer that
   * coalesces may keep this one for the end of the event-loop turn.
   */
  write(line: string, hold?: boolean): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Input ended or failed; `why` is logged ("stdin closed", "stdin error"). */
  onEnd(listener: (why: string) => void): void;
  /** Stop reading, once the gate has stopped. */
  pause(): void;
  /** Write out any lines still held back (a writer that coalesces); called before the gate returns. */
  flush?(): void;
  /** Resolves once every line written has left the process (a non-blocking writer); awaited after flush. */
  drain?(): Promise<void>;
}

/** What `warrant mcp` proxies: an upstream command (stdio) or URL, and where agents connect. */
export interface McpTarget {
  command: string[];
  url?: string;
  /** Serve agents over Streamable HTTP on HOST:PORT instead of stdio. */
  listen?: string;
}

/** An audit store judged against the checkpoints in its config's witness. */
export interface WitnessVerdict {
  ok: boolean;
  public_key: string;
  witness: string;
  checkpoints: number;
  kind?: string;
  problem?: string;
}

/** What `warrant store copy` did. */
export interface StoreCopyReport {
  from: string;
  to: string;
  /** Rows copied per table. */
  rows: Record<string, number>;
  events: number;
  /** The chain head, the same on both sides. */
  head: { seq: number; hash: string };
  store_id: string;
  /** Events the copy's `audit verify` checked. */
  verified: number;
}

export interface Runtime {
  /** "bun" or "deno". */
  readonly platform: string;
  /** File access for the verbs (the platform's Files). */
  readonly files: Files;
  /** Leave start-up JIT tuning for code that runs many times (Platform.steadyState). */
  steadyState(): void;
  /** Load and validate a config file (path relative to `cwd`). Throws config_not_found / config_invalid. */
  loadConfig(path: string, cwd: string): Config;
  /**
   * Open config, store (and policy when asked). Throws WarrantError with the
   * file, field and fix on any failure; on failure nothing stays open.
   */
  open(configPath: string, io: ProcessIO, opts?: { policy?: boolean; readOnly?: boolean }): Opened;
  /**
   * The runner for the config's declared tools: a tool's environment is
   * allow-listed from `from` (never the data key or the HTTP token).
   */
  toolRunner(config: Config, from: Record<string, string | undefined>): ToolRunner;
  /** The payload codec keyed by variable `varName` of `from` (store rotate-key). */
  dataCodec(varName: string, from: Record<string, string | undefined>): DataCodec;
  /**
   * Open an existing store read-only-in-spirit for its audit log; not_found
   * when absent. `path` is a SQLite file or `postgres:URL_ENV/SCHEMA`
   * (app/config.ts storeLocator), whose URL is read from `env`.
   */
  openAuditStore(path: string, env?: Record<string, string | undefined>): Store;
  /**
   * Copy the store `from` into the empty store `to` (each a SQLite file,
   * `postgres` for the config's PostgreSQL store, or `postgres:URL_ENV/SCHEMA`),
   * then verify the copy. Throws with the fix on any failure.
   */
  copyStore(opts: {
    from: string;
    to: string;
    config: Config | null;
    cwd: string;
    env: Record<string, string | undefined>;
    onProgress?: (done: number, total: number) => void;
  }): StoreCopyReport;
  /** Judge `store` against every checkpoint in the config's witness; null without an `audit` block. */
  witness(config: Config | null, store: Store): WitnessVerdict | null;
  /**
   * Serve the stdio gate until its input ends, a shutdown message or a
   * signal; on this process's stdin/stdout unless `stdio` is given. Returns
   * the exit code.
   */
  gate(
    configPath: string,
    httpListen: string | undefined,
    io: ProcessIO,
    stdio?: GateStdio,
  ): Promise<number>;
  /** Serve the MCP proxy until its client leaves or a signal; returns the exit code. */
  mcp(configPath: string, target: McpTarget, io: ProcessIO): Promise<number>;
  /**
   * Serve the HTTP face until SIGTERM/SIGINT; returns the exit code. Throws
   * UsageError on a malformed `listen`.
   */
  serve(configPath: string, listen: string | undefined, io: ProcessIO): Promise<number>;
}
