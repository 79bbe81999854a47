/**
 * A no-op gate speaking the stdio protocol (shared/protocol.md) with no
 * policy and no store: the floor for gate benchmarks and a stand-in for
 * client tests. Every registered tool is allowed (required_level 0); a
 * `govern` sends `run_tool` to the hook and answers `completed` with its
 * output (or `failed` / `execution_failed` on `tool_error`). `resume` knows
 * no action (`rejected` / `unknown_action`).
 *
 *   bun bench/echo-gate.ts runtime gate --config X   (arguments are ignored)
 *   bun build --compile bench/echo-gate.ts --outfile bench/out/echo-gate
 */
import { encodeLine, LineSplitter } from "../src/protocol/ndjson.ts";
import { bunStdio } from "../src/platform/bun-stdio.ts";

interface InFlight {
  reqId: number;
  actionId: string;
  correlationId: string | undefined;
}

const registered = new Set<string>();
const inFlight = new Map<number, InFlight>();
let nextCallback = 1;
// The gate's own streams (Bun's, as dist/warrant uses): the floor pays
// the same start-up and the same per-line cost for its input and output.
const stdio = bunStdio();

function send(obj: unknown): void {
  stdio.write(encodeLine(obj));
}

/** Flushes queued replies, then exits 0 once stdout has taken them. */
function exitCleanly(): void {
  stdio.flush?.();
  void stdio.drain!().finally(() => process.exit(0));
}

function log(event: string, detail: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level: "warn", event, ...detail })}\n`);
}

const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

function handle(line: string): void {
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
      if (!registered.has(m.tool)) {
        send({
          type: "govern_result",
          id,
          phase: "rejected",
          action_id: actionId,
          kind: "unregistered_tool",
          reason: `tool "${m.tool}" was not registered in this session`,
          ...(correlationId !== undefined ? { correlation_id: correlationId } : {}),
        });
        return;
      }
      const cb = nextCallback++;
      inFlight.set(cb, { reqId: id, actionId, correlationId });
      send({ type: "run_tool", id: cb, tool: m.tool, args, action_id: actionId });
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
        reason: "the echo gate has no store",
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
      if (m.type === "tool_result") send({ ...base, phase: "completed", output: m.output ?? null });
      else {
        send({ ...base, phase: "failed", kind: "execution_failed", reason: String(m.message) });
      }
      return;
    }
    case "shutdown":
      return exitCleanly();
    default:
      bad(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

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
send({ type: "ready", session_id: crypto.randomUUID(), project_id: "echo" });
// As warrant's gate does once it is up (Platform.steadyState; the binary starts with scaled JIT thresholds).
Bun.unsafe.setJITPolicy(1);
