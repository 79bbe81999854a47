/**
 * A typed client of the gate's stdio protocol (docs/protocol.md), for
 * library users and tests. It spawns the gate (`warrant runtime gate --config
 * FILE`, or anything speaking the same protocol), waits for `ready`, and
 * multiplexes requests by integer id; `run_tool` callbacks are answered
 * concurrently by the registered handlers.
 *
 * Uses `node:child_process`, so it runs on Bun and on Deno (npm compat).
 *
 * @example
 * const gate = await GateClient.spawn(["warrant", "runtime", "gate", "--config", "warrant.json"]);
 * await gate.registerTool("search_docs", ({ args }) => search(args.q));
 * const r = await gate.govern("search_docs", { q: "lease" });
 * if (r.phase === "completed") show(r.output);
 * await gate.close();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { encodeLine, LineSplitter } from "../protocol/ndjson.ts";
import type { GovernMessage, ResumeMessage } from "../protocol/gate-inbound.ts";
import type {
  GateMessage,
  GovernResultMessage,
  ReadyMessage,
  RegisteredMessage,
  RunToolMessage,
} from "../protocol/gate-outbound.ts";

/** What a tool handler receives for one `run_tool`. */
export interface RunToolCall {
  tool: string;
  args: Record<string, unknown>;
  action_id: string;
}

/** Runs a tool body. A throw (or rejection) is answered as `tool_error`. */
export type ToolHandler = (call: RunToolCall) => Promise<unknown> | unknown;

/** The result of `govern` / `resume` (the `govern_result` message). */
export type GovernResult = GovernResultMessage;

/** A stdout line that was not a JSON object, or was oversize. */
export interface RawFrame {
  type: "raw";
  line?: string;
  oversizeBytes?: number;
}

/** Options of {@link GateClient.spawn}. */
export interface GateClientOptions {
  cwd?: string;
  /** The child's environment; replaces the parent's when given (Node semantics). */
  env?: Record<string, string | undefined>;
  /** Fallback handler for `run_tool` of tools registered without their own handler. */
  onRunTool?: ToolHandler;
  /** Called with every frame no pending request consumed (see {@link GateClient.onMessage}). */
  onMessage?: (msg: GateMessage | RawFrame) => void;
  /** How long to wait for `ready` (default 15000 ms). */
  readyTimeoutMs?: number;
  /** "pipe" (default) keeps the last 64 KiB of stderr in `stderrText`; "inherit" forwards it. */
  stderr?: "inherit" | "pipe";
  /** Largest reply line accepted from the gate (default 64 MiB). */
  maxLineBytes?: number;
}

/** An `error` reply from the gate, or the gate going away with requests in flight. */
export class GateError extends Error {
  /** The request id the error answers, when there is one. */
  readonly id: number | undefined;
  constructor(message: string, id?: number) {
    super(message);
    this.name = "GateError";
    this.id = id;
  }
}

interface Pending {
  resolve(msg: GateMessage): void;
  reject(err: Error): void;
}

interface Waiter {
  pred(msg: GateMessage | RawFrame): boolean;
  resolve(msg: GateMessage | RawFrame): void;
}

const STDERR_KEEP = 64 * 1024;

/** A connected gate session. Create with {@link GateClient.spawn}. */
export class GateClient {
  /** `session_id` from `ready`. */
  sessionId = "";
  /** `project_id` from `ready`. */
  projectId = "";
  /** The whole `ready` message (extra fields included). */
  readyMessage: ReadyMessage | undefined;
  /**
   * Called with every frame that no pending request consumed: `error` without
   * id or with an unknown id, replies to ids sent through `sendRaw`, unknown
   * message types, and non-JSON or oversize lines (as {@link RawFrame}).
   */
  onMessage: ((msg: GateMessage | RawFrame) => void) | undefined;
  /** Resolves with the exit code (null when killed by a signal) once the gate exits. */
  readonly exited: Promise<number | null>;

  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<string, ToolHandler>();
  readonly #fallback: ToolHandler | undefined;
  #waiters: Waiter[] = [];
  #nextId = 1;
  #stderr = "";
  #exitCode: number | null | undefined;
  #readyResolve: ((m: ReadyMessage) => void) | undefined;

  private constructor(child: ChildProcess, opts: GateClientOptions) {
    this.#child = child;
    this.#fallback = opts.onRunTool;
    this.onMessage = opts.onMessage;
    const splitter = new LineSplitter({
      maxLineBytes: opts.maxLineBytes ?? 64 * 1024 * 1024,
      onLine: (line) => this.#onLine(line),
      onOversize: (n) => this.#unsolicited({ type: "raw", oversizeBytes: n }),
    });
    child.stdout!.on("data", (chunk: Uint8Array) => splitter.push(chunk));
    child.stdout!.on("end", () => splitter.end());
    const dec = new TextDecoder();
    child.stderr?.on("data", (chunk: Uint8Array) => {
      this.#stderr += dec.decode(chunk, { stream: true });
      if (this.#stderr.length > STDERR_KEEP) this.#stderr = this.#stderr.slice(-STDERR_KEEP);
    });
    // EPIPE after the gate exits must not crash the host process.
    child.stdin!.on("error", () => {});
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, how: string) => {
        if (this.#exitCode !== undefined) return;
        this.#exitCode = code;
        const why = new GateError(
          `gate ${how} with ${this.#pending.size} request(s) in flight${this.#stderrTail()}`,
        );
        for (const p of this.#pending.values()) p.reject(why);
        this.#pending.clear();
        resolve(code);
      };
      child.on("exit", (code, signal) => {
        finish(code, code !== null ? `exited with code ${code}` : `was killed by ${signal}`);
      });
      // A spawn failure (ENOENT, EACCES) emits "error" and never "exit".
      child.on("error", (e) => {
        if (child.pid === undefined) finish(null, `could not start (${e.message})`);
      });
    });
  }

  /**
   * Spawns the gate and waits for `ready`.
   *
   * @throws GateError when the process cannot start, exits before `ready`
   *   (the message carries its stderr), or `readyTimeoutMs` passes (the
   *   process is then killed).
   */
  static async spawn(argv: string[], opts: GateClientOptions = {}): Promise<GateClient> {
    if (argv.length === 0) throw new TypeError("GateClient.spawn: argv is empty");
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["pipe", "pipe", opts.stderr === "inherit" ? "inherit" : "pipe"],
    });
    const client = new GateClient(child, opts);
    const timeoutMs = opts.readyTimeoutMs ?? 15_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const ready = await Promise.race([
        new Promise<ReadyMessage>((resolve) => (client.#readyResolve = resolve)),
        client.exited.then((code): never => {
          throw new GateError(
            `gate ${argv[0]} exited with code ${code} before ready` +
              (client.#stderrTail() || " (no stderr)"),
          );
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new GateError(`gate not ready after ${timeoutMs} ms${client.#stderrTail()}`));
          }, timeoutMs);
        }),
      ]);
      client.readyMessage = ready;
      client.sessionId = ready.session_id;
      client.projectId = ready.project_id;
      return client;
    } catch (e) {
      if (client.#exitCode === undefined) child.kill("SIGKILL");
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Everything the gate wrote to stderr (last 64 KiB), when stderr is piped. */
  get stderrText(): string {
    return this.#stderr;
  }

  /** The child's pid. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Declares a tool. `handler` runs its body on `run_tool` (else the
   * `onRunTool` fallback). Resolves with the policy's `required_level`.
   *
   * @throws GateError on an `error` reply.
   */
  async registerTool(name: string, handler?: ToolHandler): Promise<{ required_level: number }> {
    if (handler) this.#handlers.set(name, handler);
    const reply = (await this.request({ type: "register_tool", name })) as RegisteredMessage;
    return { required_level: reply.required_level };
  }

  /**
   * Proposes a call. Resolves with the `govern_result` whatever its phase
   * (a rejection is a value, not an exception).
   *
   * @throws GateError on an `error` reply or if the gate exits first.
   */
  async govern(
    tool: string,
    args: Record<string, unknown> = {},
    opts: { correlationId?: string } = {},
  ): Promise<GovernResult> {
    const msg: Omit<GovernMessage, "id"> = { type: "govern", tool, args };
    if (opts.correlationId !== undefined) msg.correlation_id = opts.correlationId;
    return (await this.request(msg)) as GovernResult;
  }

  /**
   * Re-presents a held action; with `waitMs`, the gate block-waits up to that
   * long (bounded by the deadline) for the approvals.
   *
   * @throws GateError on an `error` reply or if the gate exits first.
   */
  async resume(
    actionId: string,
    requestId: string,
    opts: { waitMs?: number } = {},
  ): Promise<GovernResult> {
    const msg: Omit<ResumeMessage, "id"> = {
      type: "resume",
      action_id: actionId,
      request_id: requestId,
    };
    if (opts.waitMs !== undefined) msg.wait_ms = opts.waitMs;
    return (await this.request(msg)) as GovernResult;
  }

  /**
   * Sends any request with a fresh id and resolves with the reply carrying
   * that id. An `error` reply rejects with a {@link GateError}.
   */
  request(msg: { type: string; [field: string]: unknown }): Promise<GateMessage> {
    const id = this.#nextId++;
    return new Promise<GateMessage>((resolve, reject) => {
      if (this.#exitCode !== undefined) {
        reject(new GateError(`gate has exited (code ${this.#exitCode})`));
        return;
      }
      this.#pending.set(id, { resolve, reject });
      this.#write(encodeLine({ ...msg, id }));
    });
  }

  /**
   * Writes `line` to the gate verbatim (a `\n` is appended to a string that
   * lacks one; bytes are written as given). For hostile-input tests; the
   * replies come through `onMessage` / `waitFor`.
   */
  sendRaw(line: string | Uint8Array): void {
    if (typeof line === "string") this.#write(line.endsWith("\n") ? line : `${line}\n`);
    else if (this.#child.stdin!.writable) this.#child.stdin!.write(line);
  }

  /**
   * Resolves with the next unsolicited frame (see `onMessage`) matching
   * `pred`, e.g. the `error` answering an id sent with `sendRaw`.
   *
   * @throws GateError after `timeoutMs` (default 5000).
   */
  waitFor(
    pred: (msg: GateMessage | RawFrame) => boolean,
    timeoutMs = 5000,
  ): Promise<GateMessage | RawFrame> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new GateError(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /**
   * Sends `shutdown`, closes stdin and waits for the exit; after `timeoutMs`
   * (default 10000) the gate is killed. Resolves with the exit code (null
   * when killed by a signal).
   */
  async close(timeoutMs = 10_000): Promise<number | null> {
    if (this.#exitCode !== undefined) return this.#exitCode;
    if (this.#child.stdin!.writable) {
      this.#write(encodeLine({ type: "shutdown" }));
      this.#child.stdin!.end();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#child.kill("SIGKILL");
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }

  /** Sends `signal` to the gate (default SIGTERM). */
  kill(signal: NodeJS.Signals | number = "SIGTERM"): void {
    this.#child.kill(signal);
  }

  #write(line: string): void {
    const stdin = this.#child.stdin!;
    if (stdin.writable) stdin.write(line);
  }

  #stderrTail(): string {
    const t = this.#stderr.trim();
    return t ? `: ${t.length > 2000 ? `…${t.slice(-2000)}` : t}` : "";
  }

  #onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.#unsolicited({ type: "raw", line });
      return;
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
      this.#unsolicited({ type: "raw", line });
      return;
    }
    const m = msg as GateMessage;
    switch (m.type) {
      case "ready":
        if (this.#readyResolve) {
          this.#readyResolve(m);
          this.#readyResolve = undefined;
          return;
        }
        break;
      case "run_tool":
        this.#runTool(m);
        return;
      case "registered":
      case "govern_result":
      case "error": {
        const p = typeof m.id === "number" ? this.#pending.get(m.id) : undefined;
        if (p) {
          this.#pending.delete(m.id!);
          if (m.type === "error") p.reject(new GateError(m.message, m.id));
          else p.resolve(m);
          return;
        }
        break;
      }
    }
    this.#unsolicited(m);
  }

  #unsolicited(m: GateMessage | RawFrame): void {
    const i = this.#waiters.findIndex((w) => w.pred(m));
    if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m);
    this.onMessage?.(m);
  }

  #runTool(m: RunToolMessage): void {
    const handler = this.#handlers.get(m.tool) ?? this.#fallback;
    const call: RunToolCall = { tool: m.tool, args: m.args ?? {}, action_id: m.action_id };
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no handler for tool "${m.tool}" in this client`);
        return handler(call);
      })
      .then(
        (output) => {
          let line: string;
          try {
            line = encodeLine({
              type: "tool_result",
              id: m.id,
              output: output ?? null,
              documents: [],
            });
          } catch (e) {
            line = encodeLine({
              type: "tool_error",
              id: m.id,
              message: `output is not JSON: ${e}`,
            });
          }
          this.#write(line);
        },
        (err: unknown) =>
          this.#write(encodeLine({
            type: "tool_error",
            id: m.id,
            message: err instanceof Error ? err.message : String(err),
          })),
      );
  }
}
