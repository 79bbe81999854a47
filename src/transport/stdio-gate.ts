/**
 * The stdio gate server: NDJSON in, NDJSON out, wire-compatible with
 * lodestar-runtime-client's GateClient (docs/protocol.md). Requests are
 * multiplexed by id; the gate calls back into the hook with run_tool.
 * stdout carries protocol lines only.
 */
import type { GateService } from "../app/gate-service.ts";
import type { GovernOutcome } from "../app/outcome.ts";
import type { ToolCallback, ToolRunner } from "../app/ports/tool-runner.ts";
import type { Logger } from "../app/ports/system.ts";
import type { ToolOutcome } from "../app/ports/tool-runner.ts";
import { isWarrantError } from "../core/errors.ts";
import { parseJsonStrict } from "../core/canonical-json.ts";
import { LineSplitter } from "../protocol/ndjson.ts";
import { describeIssue, fastInbound, inboundSchema, jsonDepth } from "../protocol/gate-inbound.ts";
import { repeatsKey } from "../core/repeated-keys.ts";
import type { Inbound } from "../protocol/gate-inbound.ts";
import type { GateMessage } from "../protocol/gate-outbound.ts";

export interface StdioGateOptions {
  service: GateService;
  logger: Logger;
  /**
   * Writes one protocol line (already newline-terminated); `hold`: other
   * requests are open, so the line may wait for the end of the turn
   * (GateStdio.write).
   */
  write: (line: string, hold?: boolean) => void;
  ready: Record<string, unknown> & { session_id: string; project_id: string };
  maxLineBytes: number;
  toolTimeoutMs: number;
  /** Persist a registration; returns the tool's required_level. */
  register: (name: string) => number;
  /** Max nesting depth of args (deeper is refused with an error). */
  maxDepth?: number;
}

interface Pending {
  resolve: (o: ToolOutcome) => void;
  /** performance.now() past which the hook's answer is too late. */
  deadline: number;
  action_id: string;
}

/** One gate session over a byte stream pair. */
export class StdioGate implements ToolRunner {
  private readonly registered = new Set<string>();
  /** Unanswered run_tool callbacks, oldest first (so also in deadline order: one timeout for all). */
  private readonly callbacks = new Map<number, Pending>();
  /** The one timer over `callbacks`, due at the oldest's deadline (armSweep). */
  private sweepTimer: ReturnType<typeof setTimeout> | null = null;
  /** Callback ids that timed out, kept to recognise a late answer. */
  private readonly timedOut = new Map<number, string>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** Request ids (govern, resume) not answered yet, with how many are in flight under each. */
  private readonly open = new Map<number, number>();
  private nextCallback = 0;
  private closing = false;
  private readonly splitter: LineSplitter;

  constructor(private readonly o: StdioGateOptions) {
    this.splitter = new LineSplitter({
      maxLineBytes: o.maxLineBytes,
      onLine: (line) => this.onLine(line),
      onOversize: (dropped) => this.onOversize(dropped),
    });
  }

  /** Write `ready`. Call once, before feeding input. */
  start(): void {
    this.send({ type: "ready", ...this.o.ready });
  }

  /** Feed bytes read from stdin. */
  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  /**
   * Stop: refuse new requests, let in-flight work finish. `hookGone` (stdin
   * closed) means unanswered callbacks can never be answered: their actions
   * are recorded as outcome unknown, never re-run.
   */
  async stop(hookGone: boolean): Promise<void> {
    if (!this.closing) this.splitter.end();
    this.closing = true;
    this.o.service.stopWaiting();
    if (hookGone) this.abandonCallbacks("the hook closed stdin before answering run_tool");
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.o.service.drain();
  }

  /**
   * Stop now (SIGTERM, SIGINT), whatever is outstanding: in-flight work gets
   * `graceMs` to finish; then every unanswered run_tool is recorded as
   * interrupted (outcome_unknown, never re-run), every request still
   * unanswered gets an `error`, and the records get `settleMs` to commit.
   * Resolves within graceMs + settleMs (plus the drain's own bound).
   */
  async interrupt(why: string, graceMs = 1000, settleMs = 2000): Promise<void> {
    if (!this.closing) this.splitter.end();
    this.closing = true;
    this.o.service.stopWaiting();
    await within(graceMs, this.settled());
    this.abandonCallbacks(
      `interrupted: the gate was stopped (${why}) while run_tool was outstanding; ` +
        `the outcome is unknown and the action will not be re-run`,
    );
    for (const id of [...this.open.keys()]) {
      this.open.delete(id);
      this.send({
        type: "error",
        id,
        message: `the gate stopped (${why}) before answering; an action it had started is ` +
          `recorded as outcome_unknown and is never re-run (resume it for the recorded outcome)`,
      });
    }
    await within(settleMs, this.settled().then(() => this.o.service.drain()));
  }

  private async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Resolve every outstanding run_tool as unknown (recorded outcome_unknown). */
  private abandonCallbacks(message: string): void {
    this.stopSweep();
    for (const [id, p] of this.callbacks) {
      this.callbacks.delete(id);
      p.resolve({ ok: false, unknown: true, message });
    }
  }

  /**
   * One timer for every unanswered run_tool instead of one each (a timer
   * set and cleared per call was ~2.5% of a gate's CPU at 32 callers, issue
   * 12): every callback has the same timeout, so the oldest is the first
   * due; the timer is set for it, and when it fires it times out every
   * callback past its deadline and is set again for the next one.
   */
  private armSweep(): void {
    if (this.sweepTimer !== null) return;
    const oldest = this.callbacks.values().next();
    if (oldest.done) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      this.sweep();
    }, Math.max(0, oldest.value.deadline - performance.now()));
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, p] of this.callbacks) {
      if (p.deadline > now) break;
      this.callbacks.delete(id);
      this.timedOut.set(id, p.action_id);
      p.resolve({
        ok: false,
        timed_out: true,
        message:
          `the hook did not answer run_tool within ${this.o.toolTimeoutMs} ms (gate.tool_exec_timeout_ms)`,
      });
    }
    this.armSweep();
  }

  private stopSweep(): void {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** ToolRunner: ask the hook to run the body; resolves on its answer or the timeout. */
  run(call: ToolCallback): Promise<ToolOutcome> {
    const id = ++this.nextCallback;
    return new Promise((resolve) => {
      const deadline = performance.now() + this.o.toolTimeoutMs;
      this.callbacks.set(id, { resolve, deadline, action_id: call.action_id });
      this.armSweep();
      // The govern asking for this run is open itself: the others are the rest.
      this.send({
        type: "run_tool",
        id,
        tool: call.tool,
        args: call.args,
        action_id: call.action_id,
      }, this.open.size - 1);
    });
  }

  /**
   * `others`: how many open requests (governs, resumes) this line is not
   * the answer to. A lone caller's line goes out at once; with others open,
   * their lines are on the way and go out with this one, at the turn's end.
   */
  private send(msg: GateMessage, others = this.open.size): void {
    this.o.write(`${JSON.stringify(msg)}\n`, others > 0);
  }

  private reply(id: number, outcome: GovernOutcome, correlation?: string | null): void {
    const n = this.open.get(id) ?? 0;
    if (n === 0) return; // answered already (an interrupted request got its error)
    if (n === 1) this.open.delete(id);
    else this.open.set(id, n - 1);
    const msg: GateMessage = { type: "govern_result", id, ...outcome };
    if (correlation) msg.correlation_id = correlation;
    this.send(msg);
  }

  private onOversize(dropped: number): void {
    const message =
      `line of ${dropped} bytes exceeds gate.max_line_bytes (${this.o.maxLineBytes}); it was dropped`;
    this.o.logger.log("warn", "oversize line dropped", { bytes: dropped });
    this.o.service.recordIncident("protocol.malformed", null, {
      reason: "oversize",
      bytes: dropped,
    });
    this.send({ type: "error", message });
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.malformed(null, "not valid JSON", line.length);
      return;
    }
    const rawId = raw !== null && typeof raw === "object" && !Array.isArray(raw)
      ? (raw as Record<string, unknown>).id
      : undefined;
    const id = typeof rawId === "number" && Number.isSafeInteger(rawId) && rawId >= 0
      ? rawId
      : null;
    // JSON.parse keeps the last of duplicate keys, other readers the first:
    // `"tool":"work","tool":"shell"` must not be governed as one and read as
    // the other. A repeated key is refused, named by the strict parser (one
    // nested too deep for it is left to the depth check below).
    const dup = repeatsKey(line, raw) ? duplicateKey(line, (this.o.maxDepth ?? 64) + 2) : null;
    if (dup !== null) {
      this.malformed(id, dup, line.length);
      return;
    }
    // The calls' own messages in their usual shape skip zod (same result).
    let msg = fastInbound(raw);
    if (msg === null) {
      const parsed = inboundSchema().safeParse(raw);
      if (!parsed.success) {
        this.malformed(id, describeIssue(parsed.error), line.length);
        return;
      }
      msg = parsed.data;
    }
    if (
      (msg.type === "govern" || msg.type === "tool_result") &&
      jsonDepth(msg, this.o.maxDepth ?? 64) > (this.o.maxDepth ?? 64)
    ) {
      this.malformed(id, `nesting deeper than ${this.o.maxDepth ?? 64} levels`, line.length);
      return;
    }
    this.dispatch(msg);
  }

  private malformed(id: number | null, reason: string, bytes: number): void {
    this.o.service.recordIncident("protocol.malformed", null, {
      reason,
      bytes,
      ...(id !== null ? { id } : {}),
    });
    this.send({
      type: "error",
      ...(id !== null ? { id } : {}),
      message: `invalid message: ${reason}`,
    });
  }

  private dispatch(msg: Inbound): void {
    switch (msg.type) {
      case "register_tool":
        return this.onRegister(msg.id, msg.name);
      case "govern":
        if (this.closing) {
          return this.send({ type: "error", id: msg.id, message: "the gate is shutting down" });
        }
        this.opened(msg.id);
        return this.track(
          this.o.service.govern(
            { tool: msg.tool, args: msg.args, correlation_id: msg.correlation_id ?? null },
            this.registered.has(msg.tool),
            this,
          ).then((o) => this.reply(msg.id, o, msg.correlation_id), (e) => this.internal(msg.id, e)),
        );
      case "resume":
        if (this.closing) {
          return this.send({ type: "error", id: msg.id, message: "the gate is shutting down" });
        }
        this.opened(msg.id);
        return this.track(
          this.o.service.resume(
            msg.action_id,
            msg.request_id ?? "",
            msg.wait_ms ?? 0,
            this,
            this.scope,
          ).then((o) => this.reply(msg.id, o), (e) => this.internal(msg.id, e, msg.action_id)),
        );
      case "tool_result":
      case "tool_error":
        return this.onCallbackAnswer(msg);
      case "shutdown":
        this.closing = true;
        this.onShutdown?.();
        return;
    }
  }

  /** What this session may resume: hook actions of the tools it registered. */
  readonly scope = {
    origin: "hook" as const,
    registered: (tool: string) => this.registered.has(tool),
  };

  /** Set by the composition root: called when the hook sends `shutdown`. */
  onShutdown?: () => void;

  private onRegister(id: number, name: string): void {
    try {
      const level = this.o.register(name);
      this.registered.add(name);
      this.send({ type: "registered", id, name, required_level: level });
    } catch (e) {
      this.send({ type: "error", id, message: `cannot register "${name}": ${String(e)}` });
    }
  }

  private onCallbackAnswer(msg: Extract<Inbound, { type: "tool_result" | "tool_error" }>): void {
    const p = this.callbacks.get(msg.id);
    if (!p) {
      const late = this.timedOut.get(msg.id);
      this.o.service.recordIncident(late ? "callback.late" : "callback.unmatched", late ?? null, {
        callback_id: msg.id,
        type: msg.type,
      });
      return;
    }
    this.callbacks.delete(msg.id);
    // Nothing left to time out: no timer keeps the process waiting.
    if (this.callbacks.size === 0) this.stopSweep();
    if (msg.type === "tool_error") {
      // The hook's message may quote secrets: it is the action's detail (codec only).
      p.resolve({
        ok: false,
        message: "the tool reported an error (tool_error)",
        detail: msg.message,
      });
    } else {
      p.resolve({
        ok: true,
        output: msg.output ?? null,
        documents: {
          count: msg.documents.length,
          sources: msg.documents.map((d) => d.source ?? "").slice(0, 32),
        },
      });
    }
  }

  /** Last line of defence: a handler threw; answer a rejection, never silence. */
  private internal(id: number, e: unknown, actionId = ""): void {
    this.o.logger.log("error", "request handler failed", { id, error: String(e) });
    this.reply(id, {
      phase: "rejected",
      action_id: actionId,
      kind: "internal_error",
      reason: `internal error: ${String(e)}`,
    });
  }

  private opened(id: number): void {
    this.open.set(id, (this.open.get(id) ?? 0) + 1);
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e) =>
      this.o.logger.log("error", "request handler failed", { error: String(e) })
    );
    this.inflight.add(t);
    void t.finally(() => this.inflight.delete(t));
  }
}

/**
 * The complaint for a line that repeats a key (repeatsKey said so): the key
 * and where; null when the repeat is nested deeper than `maxDepth`, which the
 * schema and depth checks refuse anyway.
 */
function duplicateKey(line: string, maxDepth: number): string | null {
  try {
    parseJsonStrict(line, maxDepth);
    return null;
  } catch (e) {
    return isWarrantError(e, "json_duplicate_key")
      ? `duplicate key ${JSON.stringify(String(e.details?.key ?? ""))} at ${
        String(e.details?.path ?? "$")
      } (each key may appear once)`
      : null;
  }
}

/** Wait for `p`, but no longer than `ms`. */
async function within(ms: number, p: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
