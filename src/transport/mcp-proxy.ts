/**
 * The MCP proxy: one agent-side transport and one upstream transport (both
 * from the official MCP SDK), relayed message by message so everything the
 * upstream offers reaches the client unchanged — initialize and
 * capabilities, paginated lists, resources, prompts, completions, logging,
 * pings, every notification, and the upstream's own requests to the client
 * (sampling, elicitation, roots). Only `tools/call` is held back: it is
 * governed by the GateService (the same one the stdio gate uses), and only
 * an allowed or approved call is sent upstream, under warrant's own request
 * id, with the client's params unchanged.
 *
 * Fail closed: a `tools/call` warrant cannot read is answered with an error
 * and never forwarded; anything unexpected on the govern path is a recorded
 * rejection.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { GateService } from "../app/gate-service.ts";
import { rejection } from "../app/outcome.ts";
import type { GovernOutcome } from "../app/outcome.ts";
import type { ToolCallback, ToolOutcome, ToolRunner } from "../app/ports/tool-runner.ts";
import type { ResumeScope } from "../app/start-approved.ts";
import type { Logger } from "../app/ports/system.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import {
  CallToolResultSchema,
  idKey,
  isNotification,
  isRequest,
  isResponse,
  JSONRPC_INVALID_PARAMS,
  MCP_CONNECTION_CLOSED,
  ToolCallParamsSchema,
} from "../protocol/mcp-messages.ts";
import type { RequestId, ToolCallParams } from "../protocol/mcp-messages.ts";
import { filterToolList } from "./mcp-tool-list.ts";
import { toolResultFor } from "./mcp-outcome.ts";
import type { HoldHint } from "./mcp-outcome.ts";

export interface McpProxyOptions {
  service: GateService;
  logger: Logger;
  policy: () => CompiledPolicy;
  /** What the actions record as their face, e.g. "mcp stdio: npx server-filesystem /data". */
  via: string;
  toolPrefix: string;
  hideDenied: boolean;
  holdWaitMs: number;
  /** How long an upstream tools/call may take (gate.tool_exec_timeout_ms). */
  toolTimeoutMs: number;
  hint: HoldHint;
  /** Progress notifications while a hold is waited on (default every 1000 ms). */
  progressEveryMs?: number;
}

type Msg = Record<string, unknown>;
/** What an upstream answer to warrant's own tools/call resolves with; null: the upstream is gone. */
type UpAnswer = (response: Msg | null) => void;

interface GovernedCall {
  cancelled: boolean;
  /** Set while the call is upstream: cancels it there. */
  cancelUpstream?: () => void;
}

/** One agent session relayed to one upstream. */
export class McpProxy {
  private readonly forwarded = new Map<string, RequestId>();
  private readonly toolLists = new Set<string>();
  private readonly progressOwners = new Map<string, RequestId>();
  private readonly upCalls = new Map<string, UpAnswer>();
  private readonly governed = new Map<string, GovernedCall>();
  private readonly inflight = new Set<Promise<unknown>>();
  private nextUpId = 0;
  private upstreamGone = false;
  /** Set by close(): the upstream closing then is no failure. */
  private closing = false;
  /** Called once when the upstream closes or fails (the owner decides to exit). */
  onUpstreamGone?: () => void;
  /** Called once when the client side closes. */
  onClientGone?: () => void;

  constructor(
    private readonly client: Transport,
    private readonly upstream: Transport,
    private readonly o: McpProxyOptions,
  ) {}

  /** Start the upstream (spawning it when stdio), then the client side. Throws when the upstream cannot start. */
  async start(): Promise<void> {
    this.upstream.onmessage = (m) => this.onUpstream(m as unknown as Msg);
    this.upstream.onclose = () => this.onUpstreamClose();
    this.upstream.onerror = (e) =>
      this.o.logger.log("warn", "upstream MCP transport error", { error: String(e) });
    this.client.onmessage = (m) => this.onClient(m as unknown as Msg);
    this.client.onclose = () => this.onClientGone?.();
    this.client.onerror = (e) =>
      this.o.logger.log("warn", "client MCP transport error", { error: String(e) });
    await this.upstream.start();
    await this.client.start();
  }

  /** Wait for every governed call in flight to be answered (its outcome recorded). */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Close both sides. Calls still upstream are recorded as outcome unknown. */
  async close(): Promise<void> {
    this.closing = true;
    await this.upstream.close().catch(() => {});
    this.onUpstreamClose();
    await this.client.close().catch(() => {});
  }

  /**
   * The runner for an approved action that `warrant resume` hands to this
   * session (no client request waits for it): the call goes straight upstream.
   */
  readonly detached: ToolRunner = {
    run: (cb) =>
      this.callUpstream(
        cb,
        { name: cb.tool.slice(this.o.toolPrefix.length), arguments: cb.args },
        { cancelled: false },
        () => {},
      ),
  };

  /** Who may resume through this proxy: actions that came through the same upstream. */
  get scope(): ResumeScope {
    return { origin: "hook", registered: () => true, via: this.o.via };
  }

  get upstreamClosed(): boolean {
    return this.upstreamGone;
  }

  // ─────────────────────────── client → upstream ───────────────────────────

  private onClient(m: Msg): void {
    if (isRequest(m)) {
      if (m.method === "tools/call") return this.track(this.governCall(m));
      const k = idKey(m.id);
      if (this.upstreamGone) return this.answerGone(m.id);
      if (m.method === "tools/list" && this.o.hideDenied) this.toolLists.add(k);
      this.noteProgressToken(m.params, m.id);
      this.forwarded.set(k, m.id);
      this.toUpstream(m);
      return;
    }
    if (isNotification(m) && m.method === "notifications/cancelled") {
      const id = (m.params as Msg | undefined)?.requestId as RequestId | undefined;
      const call = id === undefined ? undefined : this.governed.get(idKey(id));
      if (call) {
        call.cancelled = true;
        call.cancelUpstream?.();
        return;
      }
    }
    // Other notifications, and the client's answers to the upstream's requests.
    if (!this.upstreamGone) this.toUpstream(m);
  }

  private async governCall(m: Msg & { id: RequestId }): Promise<void> {
    const parsed = ToolCallParamsSchema.safeParse(m.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.toClient({
        jsonrpc: "2.0",
        id: m.id,
        error: {
          code: JSONRPC_INVALID_PARAMS,
          message: `invalid tools/call params (${issue?.path.join(".") || "params"}: ${
            issue?.message ?? "invalid"
          }); warrant governs every tools/call and forwards none it cannot read`,
        },
      });
    }
    const p = parsed.data;
    const k = idKey(m.id);
    const call: GovernedCall = { cancelled: false };
    this.governed.set(k, call);
    const token = p._meta?.progressToken;
    if (token !== undefined) this.progressOwners.set(idKey(token), m.id);
    const ticker = token !== undefined && this.o.holdWaitMs > 0
      ? this.holdProgress(token, m.id)
      : null;
    let raw: Msg | null = null;
    const runner = {
      run: (cb: ToolCallback): Promise<ToolOutcome> => {
        ticker?.stop();
        return this.callUpstream(cb, p, call, (r) => (raw = r));
      },
    };
    let outcome: GovernOutcome;
    try {
      outcome = await this.o.service.governOrAttach(
        { tool: `${this.o.toolPrefix}${p.name}`, args: p.arguments ?? {}, via: this.o.via },
        runner,
        this.scope,
        this.o.holdWaitMs,
      );
    } catch (e) {
      this.o.logger.log("error", "tools/call failed closed", { error: String(e) });
      outcome = rejection("", "internal_error", `internal error: ${String(e)}`);
    } finally {
      ticker?.stop();
      this.governed.delete(k);
      if (token !== undefined) this.progressOwners.delete(idKey(token));
    }
    // A cancelled request gets no response (MCP: the client ignores one anyway).
    if (call.cancelled) return;
    if (raw !== null) return this.toClient({ ...(raw as Msg), id: m.id });
    const result = toolResultFor(
      outcome,
      outcome.action_id ? this.o.service.action(outcome.action_id) : null,
      this.o.hint,
    );
    this.toClient({ jsonrpc: "2.0", id: m.id, result });
  }

  /** Progress notifications while a hold is waited on: elapsed ms of hold_wait_ms. */
  private holdProgress(token: RequestId, related: RequestId): { stop(): void } {
    const start = Date.now();
    const every = this.o.progressEveryMs ?? 1000;
    const timer = setInterval(() => {
      this.toClient({
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: {
          progressToken: token,
          progress: Math.min(Date.now() - start, this.o.holdWaitMs),
          total: this.o.holdWaitMs,
          message: "warrant: waiting for approval",
        },
      }, related);
    }, every);
    return { stop: () => clearInterval(timer) };
  }

  /** The body of an allowed or approved call: send it upstream under warrant's id, await the answer. */
  private callUpstream(
    _cb: ToolCallback,
    p: ToolCallParams,
    call: GovernedCall,
    stash: (raw: Msg) => void,
  ): Promise<ToolOutcome> {
    if (this.upstreamGone) {
      return Promise.resolve({
        ok: false,
        message: "the upstream MCP server had exited; the call was not sent",
      });
    }
    const upId = `warrant-${++this.nextUpId}`;
    const k = idKey(upId);
    return new Promise<ToolOutcome>((resolve) => {
      const settle = (o: ToolOutcome) => {
        clearTimeout(timer);
        this.upCalls.delete(k);
        call.cancelUpstream = undefined;
        resolve(o);
      };
      const cancelUp = (reason: string) =>
        this.toUpstream({
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: upId, reason },
        });
      const timer = setTimeout(() => {
        cancelUp("warrant: gate.tool_exec_timeout_ms passed");
        settle({
          ok: false,
          timed_out: true,
          message:
            `the upstream did not answer tools/call within ${this.o.toolTimeoutMs} ms (gate.tool_exec_timeout_ms)`,
        });
      }, this.o.toolTimeoutMs);
      call.cancelUpstream = () => {
        cancelUp("the client cancelled the call");
        settle({
          ok: false,
          unknown: true,
          message:
            "the client cancelled the call after it was sent upstream; its outcome is unknown",
        });
      };
      this.upCalls.set(k, (resp) => {
        if (resp === null) {
          return settle({
            ok: false,
            unknown: true,
            message:
              "the upstream MCP server exited while the call was in flight; its outcome is unknown and it will not be re-run",
          });
        }
        stash(resp);
        settle(toolOutcomeOf(resp));
      });
      // The client's params unchanged (name without the prefix, arguments, _meta).
      this.toUpstream(p as Msg, upId);
    });
  }

  // ─────────────────────────── upstream → client ───────────────────────────

  private onUpstream(m: Msg): void {
    if (isResponse(m)) {
      const k = idKey(m.id);
      const mine = this.upCalls.get(k);
      if (mine) return mine(m);
      this.forwarded.delete(k);
      this.dropProgressOwner(m.id);
      if (this.toolLists.delete(k)) m = filterToolList(m, this.o.policy(), this.o.toolPrefix);
      this.noteProtocolVersion(m);
      return this.toClient(m);
    }
    this.toClient(m, this.relatedRequest(m));
  }

  /**
   * Which open client request an upstream message belongs to (only the
   * Streamable HTTP face uses it, to choose the response stream): the owner
   * of a progress token, else the only request in flight, else none (the
   * client's standalone stream).
   */
  private relatedRequest(m: Msg): RequestId | undefined {
    if (m.method === "notifications/progress") {
      const t = (m.params as Msg | undefined)?.progressToken as RequestId | undefined;
      const owner = t === undefined ? undefined : this.progressOwners.get(idKey(t));
      if (owner !== undefined) return owner;
    }
    if (this.forwarded.size + this.governed.size !== 1) return undefined;
    for (const id of this.forwarded.values()) return id;
    for (const k of this.governed.keys()) {
      return k.startsWith("n:") ? Number(k.slice(2)) : k.slice(2);
    }
    return undefined;
  }

  private onUpstreamClose(): void {
    if (this.upstreamGone) return;
    this.upstreamGone = true;
    for (const answer of [...this.upCalls.values()]) answer(null);
    for (const id of [...this.forwarded.values()]) this.answerGone(id);
    this.forwarded.clear();
    if (!this.closing) this.onUpstreamGone?.();
  }

  private answerGone(id: RequestId): void {
    this.toClient({
      jsonrpc: "2.0",
      id,
      error: { code: MCP_CONNECTION_CLOSED, message: "the upstream MCP server exited" },
    });
  }

  // ─────────────────────────── plumbing ───────────────────────────

  /** An HTTP upstream must send the negotiated version on every request (the SDK Client would set it). */
  private noteProtocolVersion(m: Msg): void {
    const r = m.result as Msg | undefined;
    if (typeof r?.protocolVersion !== "string" || typeof r.serverInfo !== "object") return;
    const t = this.upstream as Transport & { setProtocolVersion?: (v: string) => void };
    t.setProtocolVersion?.(r.protocolVersion);
  }

  private noteProgressToken(params: unknown, id: RequestId): void {
    const t = ((params as Msg | undefined)?._meta as Msg | undefined)?.progressToken;
    if (typeof t === "string" || typeof t === "number") this.progressOwners.set(idKey(t), id);
  }

  private dropProgressOwner(id: RequestId): void {
    for (const [t, owner] of this.progressOwners) if (owner === id) this.progressOwners.delete(t);
  }

  private toClient(m: Msg, related?: RequestId): void {
    const msg = m as unknown as JSONRPCMessage;
    const sent = related === undefined
      ? this.client.send(msg)
      : this.client.send(msg, { relatedRequestId: related });
    sent.catch((e) => {
      // The related request's stream may have just closed: use the standalone stream.
      if (related !== undefined) return this.toClient(m);
      this.o.logger.log("warn", "cannot send to the MCP client", { error: String(e) });
    });
  }

  private toUpstream(m: Msg, asId?: string): void {
    const msg = (asId === undefined ? m : {
      jsonrpc: "2.0",
      id: asId,
      method: "tools/call",
      params: m,
    }) as unknown as JSONRPCMessage;
    this.upstream.send(msg).catch((e) => {
      this.o.logger.log("warn", "cannot send to the upstream MCP server", { error: String(e) });
      if (asId !== undefined) this.upCalls.get(idKey(asId))?.(null);
      else if (isRequest(m)) {
        this.forwarded.delete(idKey(m.id));
        this.answerGone(m.id);
      }
    });
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e) =>
      this.o.logger.log("error", "MCP request handler failed", { error: String(e) })
    );
    this.inflight.add(t);
    void t.finally(() => this.inflight.delete(t));
  }
}

/**
 * The recorded outcome of an upstream answer: an `isError` result or a
 * JSON-RPC error is a failure. The upstream's own words go to `detail`
 * (stored through the payload codec), never into the reason.
 */
export function toolOutcomeOf(resp: Msg): ToolOutcome {
  if ("error" in resp) {
    const e = resp.error as { code?: unknown; message?: unknown } | null;
    return {
      ok: false,
      message: `the upstream MCP server answered JSON-RPC error ${
        typeof e?.code === "number" ? e.code : "?"
      }`,
      detail: String(e?.message ?? "").slice(0, 4096),
    };
  }
  const r = CallToolResultSchema.safeParse(resp.result);
  if (r.success && r.data.isError === true) {
    const text = (r.data.content ?? []).map((c) => c.text ?? `[${c.type}]`).join(" ");
    return {
      ok: false,
      message: "the tool answered a result with isError: true",
      detail: text.slice(0, 4096),
    };
  }
  return { ok: true, output: resp.result ?? null };
}
