/**
 * The Platform port: everything that differs between Bun and Deno, so that
 * the composition root (runtime/) builds the same product on either. Two
 * adapters: platform/bun.ts (bun:sqlite, Bun.serve) and platform/deno.ts
 * (node:sqlite, Deno.serve). The entry points main.bun.ts and main.deno.ts
 * pick one and nothing else.
 */
import type { NativeHashes } from "../../core/digest.ts";
import type { NativeVerify } from "../../core/ed25519.ts";
import type { DeclaredTool } from "../declared-tool.ts";
import type { Aead } from "./aead.ts";
import type { Files } from "./files.ts";
import type { PgBridgeFactory, SqlDriverFactory } from "./sql.ts";
import type { Clock, Ids, Logger, LogLevel } from "./system.ts";
import type { GateStdio } from "./runtime.ts";
import type { ToolRunner } from "./tool-runner.ts";

/** A web-standard fetch handler; the client's address is passed as `{ ip }`. */
export type FetchHandler = (
  req: Request,
  bindings: { ip?: string },
) => Response | Promise<Response>;

export interface ServeOptions {
  hostname: string;
  /** 0 picks a free port; read the bound one from the result. */
  port: number;
  /** Bodies larger than this may be refused before the handler runs (the app caps them too). */
  maxRequestBodySize: number;
  /** Seconds a connection may stay silent where the runtime supports it (SSE heartbeats keep streams alive). Default 60. */
  idleTimeoutSec?: number;
}

/** A listening HTTP server. */
export interface HttpServer {
  hostname: string;
  port: number;
  /** Stop accepting; resolve when in-flight requests have finished (or `force` closes them). */
  stop(force?: boolean): Promise<void>;
}

/** A message port between a thread and the thread that started it (structured-clone messages). */
export interface ThreadPort {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** A thread running this program again (Platform.startThread), seen from its parent. */
export interface Thread extends ThreadPort {
  /** The thread failed to start or threw at the top level. */
  onError(listener: (e: Error) => void): void;
  /** The thread ended (by itself or terminated). */
  onExit(listener: () => void): void;
  terminate(): Promise<void>;
}

export interface Platform {
  /** "bun" or "deno": shown by `warrant --version` and in diagnostics. */
  readonly name: "bun" | "deno";
  /** Opens (creating) a SQLite file: bun:sqlite or node:sqlite. */
  readonly sqlite: SqlDriverFactory;
  /** Connects to PostgreSQL (a driver in a worker thread, answering synchronously). */
  readonly postgres: PgBridgeFactory;
  /**
   * Listen on `hostname:port` and serve `fetch`. Throws when the address
   * cannot be bound (in use, not permitted).
   */
  serveHttp(fetch: FetchHandler, opts: ServeOptions): HttpServer;
  /** The synchronous AEAD for payloads at rest. */
  readonly aead: Aead;
  /**
   * Native SHA-256/HMAC and Ed25519 verification, installed into core at
   * start (core keeps the strict signature checks; see core/ed25519.ts).
   */
  readonly nativeCrypto: { hashes: NativeHashes; ed25519Verify: NativeVerify };
  /** File access for the CLI's verbs (key, policy, release and imported files). */
  readonly files: Files;
  readonly clock: Clock;
  /**
   * Start this program again in a worker thread with `data`: the entry point
   * runs, sees `threadContext()` and serves that face instead of the CLI
   * (runtime/http-thread.ts: a gate's HTTP face on its own event loop).
   */
  startThread(data: unknown): Thread;
  /** In a thread made by startThread: its data and its port to the parent; else null. */
  threadContext(): { data: unknown; parent: ThreadPort } | null;
  /** This process's stdin and stdout, as a stdio gate's streams. */
  gateStdio(): GateStdio;
  /**
   * From here on code runs many times: a long-running face is up (its
   * `ready` line is out, or it listens), or a large input is about to be
   * parsed. The Bun binary starts with JavaScriptCore's JIT tier-up
   * thresholds scaled up (scripts/build, --compile-jit-policy), so start-up
   * code that runs once stays in the interpreter instead of being compiled;
   * this restores the normal thresholds. Deno: nothing to do.
   */
  steadyState(): void;
  /** A fresh time-ordered id source. */
  ids(): Ids;
  /** JSON-lines logger at or above `min`, written through `write`. */
  logger(min: LogLevel, write: (line: string) => void): Logger;
  /** True when a process with this pid exists. */
  isPidAlive(pid: number): boolean;
  /**
   * A ToolRunner spawning declared tools (no shell); each tool's environment
   * is allow-listed from `env`.
   */
  processRunner(
    tools: Record<string, DeclaredTool>,
    defaultCwd: string,
    defaultTimeoutMs: number,
    env: Record<string, string | undefined>,
  ): ToolRunner;
}
