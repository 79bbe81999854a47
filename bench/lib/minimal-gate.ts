/**
 * The stdio gate protocol (shared/protocol.md) with nothing behind it but
 * two hooks: the gate benchmarks' reference points, bench/echo-gate.ts (no
 * policy, no store) and bench/floor-gate.ts (the least durable work any gate
 * with warrant's promises must do). Every registered tool is offered with
 * required_level 0; a `govern` asks `decide`, then sends `run_tool` to the
 * hook and, when the body answers, calls `outcome` and answers `completed`
 * with its output (or `failed` / `execution_failed` on `tool_error`).
 * `resume` knows no action (`rejected` / `unknown_action`).
 */
import { encodeLine, LineSplitter } from "../../src/protocol/ndjson.ts";
import { bunStdio } from "../../src/platform/bun-stdio.ts";

export interface MinimalGateHooks {
  /** `project_id` of the ready line. */
  project: string;
  /** Why `resume` finds no action (this gate keeps none to resume). */
  noResume: string;
  /**
   * A registered tool was proposed: true to run it. `run_tool` is sent once
   * it has answered (a promise: once it settles), so durable work here
   * happens before the body runs.
   */
  decide(
    actionId: string,
    tool: string,
    args: Record<string, unknown>,
  ): boolean | Promise<boolean>;
  /** The body answered; the caller is told once this has (a promise: once it settles). */
  outcome(
    actionId: string,
    result: { output: unknown } | { error: string },
  ): void | Promise<void>;
}

interface InFlight {
  reqId: number;
  actionId: string;
  correlationId: string | undefined;
}

/** Serve the protocol on stdin/stdout until stdin ends or `shutdown`; writes `ready` first. */
export function runMinimalGate(hooks: MinimalGateHooks): void {
  const registered = new Set<string>();
  const inFlight = new Map<number, InFlight>();
  let nextCallback = 1;
  // The gate's own streams (Bun's, as dist/warrant uses): a reference gate
  // pays the same start-up and the same per-line cost for its input and output.
  const stdio = bunStdio();
  // Governs not answered yet: with others open, a line waits for the end of
  // the turn and goes out with theirs (GateStdio.write's hold), as warrant's do.
  let open = 0;
  const send = (obj: unknown, others = open): void => stdio.write(encodeLine(obj), others > 0);
  const answered = (obj: unknown): void => {
    open--;
    send(obj);
  };

  /** Flushes queued replies, then exits 0 once stdout has taken them. */
  const exitCleanly = (): void => {
    stdio.flush?.();
    void stdio.drain!().finally(() => process.exit(0));
  };
  const log = (event: string, detail: Record<string, unknown> = {}): void => {
    process.stderr.write(`${JSON.stringify({ level: "warn", event, ...detail })}\n`);
  };
  const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

  const handle = (line: string): void => {
    let m: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
      m = v as Record<string, unknown>;
    } catch {
      log("invalid_json", { bytes: line.length });
      return;
    }
    const id = m.id;
    const bad = (message: string) => {
      if (isId(id)) send({ type: "error", id, message });
      else log("invalid_message", { message });
    };
    switch (m.type) {
      case "register_tool":
        if (!isId(id) || typeof m.name !== "string" || m.name === "") {
          return bad("invalid register_tool");
        }
        registered.add(m.name);
        send({ type: "registered", id, name: m.name, required_level: 0 });
        return;
      case "govern": {
        if (!isId(id) || typeof m.tool !== "string") return bad("invalid govern");
        const args = m.args ?? {};
        if (typeof args !== "object" || args === null || Array.isArray(args)) {
          return bad("govern.args must be an object");
        }
        const correlationId = typeof m.correlation_id === "string" ? m.correlation_id : undefined;
        const actionId = crypto.randomUUID();
        const corr = correlationId !== undefined ? { correlation_id: correlationId } : {};
        if (!registered.has(m.tool)) {
          send({
            type: "govern_result",
            id,
            phase: "rejected",
            action_id: actionId,
            kind: "unregistered_tool",
            reason: `tool "${m.tool}" was not registered in this session`,
            ...corr,
          });
          return;
        }
        const tool = m.tool;
        open++;
        const decided = (allow: boolean) => {
          if (!allow) {
            answered({
              type: "govern_result",
              id,
              phase: "rejected",
              action_id: actionId,
              kind: "policy_denied",
              reason: `no rule allows tool "${tool}"`,
              ...corr,
            });
            return;
          }
          const cb = nextCallback++;
          inFlight.set(cb, { reqId: id, actionId, correlationId });
          send({ type: "run_tool", id: cb, tool, args, action_id: actionId }, open - 1);
        };
        const d = hooks.decide(actionId, tool, args as Record<string, unknown>);
        if (typeof d === "boolean") decided(d);
        else {
          void d.then(decided, (e) => {
            open--;
            bad(`decision failed: ${String(e)}`);
          });
        }
        return;
      }
      case "resume":
        if (!isId(id) || typeof m.action_id !== "string") return bad("invalid resume");
        send({
          type: "govern_result",
          id,
          phase: "rejected",
          action_id: m.action_id,
          kind: "unknown_action",
          reason: hooks.noResume,
        });
        return;
      case "tool_result":
      case "tool_error": {
        const f = isId(id) ? inFlight.get(id) : undefined;
        if (!f) return log("unknown_callback", { id });
        inFlight.delete(id as number);
        const base = {
          type: "govern_result",
          id: f.reqId,
          action_id: f.actionId,
          ...(f.correlationId !== undefined ? { correlation_id: f.correlationId } : {}),
        };
        const ok = m.type === "tool_result";
        const answer = () =>
          answered(
            ok
              ? { ...base, phase: "completed", output: m.output ?? null }
              : { ...base, phase: "failed", kind: "execution_failed", reason: String(m.message) },
          );
        const o = hooks.outcome(
          f.actionId,
          ok ? { output: m.output ?? null } : { error: String(m.message) },
        );
        if (o instanceof Promise) {
          void o.then(answer, (e) => {
            open--;
            log("outcome_failed", { error: String(e) });
          });
        } else answer();
        return;
      }
      case "shutdown":
        return exitCleanly();
      default:
        bad(`unknown message type ${JSON.stringify(m.type)}`);
    }
  };

  const splitter = new LineSplitter({
    maxLineBytes: 1024 * 1024,
    onLine: handle,
    onOversize: (n) => log("oversize_line", { bytes: n }),
  });
  stdio.onData((chunk) => splitter.push(chunk));
  stdio.onEnd(() => {
    splitter.end();
    exitCleanly();
  });
  process.on("SIGTERM", exitCleanly);
  send({ type: "ready", session_id: crypto.randomUUID(), project_id: hooks.project });
  // As warrant's gate does once it is up (Platform.steadyState; the binary
  // starts with scaled JIT thresholds).
  Bun.unsafe.setJITPolicy(1);
}
