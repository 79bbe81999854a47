/**
 * In-process HTTP fixture: a real SQLite store in a temp folder, the
 * resolution-corpus request seeded into it, and the Hono app called through
 * `app.fetch(new Request(...))` with a controllable clock.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../src/app/ports/system.ts";
import type { Store } from "../../src/app/ports/store.ts";
import { SseHub } from "../../src/bus/sse-hub.ts";
import type { CompiledPolicy } from "../../src/core/policy/compile.ts";
import { requestView } from "../../src/app/request-view.ts";
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";
import { createHttpApp } from "../../src/transport/http/app.ts";
import type { HttpAppDeps } from "../../src/transport/http/app.ts";
import { countPending, createHttpMetrics } from "../../src/transport/http/metrics.ts";

export const FIXTURE = JSON.parse(
  readFileSync(new URL("../vectors/resolutions/fixture.json", import.meta.url), "utf8"),
) as {
  now: number;
  request: {
    id: string;
    action_id: string;
    session_id: string;
    tool: string;
    args: Record<string, unknown>;
    rules: string[];
    requirements: Array<{ rule: string; quorum: number; roles: string[]; timeout_ms: number }>;
    policy_id: string;
    policy_version: number;
    action_digest: string;
    deadline: number;
    created_at: number;
  };
  approvers: Record<string, { key: string; roles: string[] }>;
  used_nonces: string[];
};

export interface Case {
  name: string;
  document: string;
  expect: { ok: true } | { code: string };
  context?: { request?: null; request_state?: "approved" | "rejected"; now?: number };
}

export const CASES = (JSON.parse(
  readFileSync(new URL("../vectors/resolutions/cases.json", import.meta.url), "utf8"),
) as { cases: Case[] }).cases;

export interface AppFixture {
  dir: string;
  /** The Hono app itself (its route table). */
  app: ReturnType<typeof createHttpApp>;
  store: Store;
  clock: { now(): number; t: number };
  hub: SseHub;
  logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  fetch(path: string, init?: RequestInit & { ip?: string }): Promise<Response>;
  post(requestId: string, body: string, init?: RequestInit): Promise<Response>;
  close(): void;
}

/** Seed one held action + pending request under `id`s (defaults: the corpus request). */
export function seedRequest(
  store: Store,
  at: number,
  ids: { request?: string; action?: string; deadline?: number; digest?: string } = {},
): void {
  const r = FIXTURE.request;
  store.tx((tx) => {
    if (!tx.getSession(r.session_id)) {
      tx.openSession({ id: r.session_id, project: "acme", pid: 1, at });
    }
    const actionId = ids.action ?? r.action_id;
    tx.insertAction({
      id: actionId,
      session_id: r.session_id,
      project: "acme",
      tool: r.tool,
      args: r.args,
      origin: "hook",
      at,
    });
    tx.transition(actionId, ["proposed"], "held", { effect: "hold", rules: r.rules }, at);
    tx.insertRequest({
      id: ids.request ?? r.id,
      action_id: actionId,
      requirements: r.requirements,
      rules: r.rules,
      policy_id: r.policy_id,
      policy_version: r.policy_version,
      action_digest: ids.digest ?? r.action_digest,
      deadline: ids.deadline ?? r.deadline,
      at,
    });
  });
}

/** A fresh store + app. `seed` puts the corpus request (and a used nonce) in it. */
export function appFixture(
  opts: { seed?: boolean; token?: string; deps?: Partial<HttpAppDeps> } = {},
): AppFixture {
  const dir = mkdtempSync(join(tmpdir(), "warrant-http-"));
  const clock = { t: FIXTURE.now, now: () => clock.t };
  const store = openStore({ path: join(dir, "w.db"), driver: bunSqlite, clock });
  if (opts.seed !== false) {
    seedRequest(store, FIXTURE.now - 60_000);
    // A resolution on another request holds the corpus's "used" nonce.
    seedRequest(store, FIXTURE.now - 60_000, { request: "req_USED", action: "act_USED" });
    store.tx((tx) =>
      tx.insertResolution({
        request_id: "req_USED",
        approver: "carol",
        decision: "approve",
        nonce: FIXTURE.used_nonces[0]!,
        document: "{}",
        document_sha256: "0".repeat(64),
        at: FIXTURE.now - 30_000,
      })
    );
  }
  const policy = {
    id: FIXTURE.request.policy_id,
    version: FIXTURE.request.policy_version,
    approvers: new Map(Object.entries(FIXTURE.approvers)),
  } as unknown as CompiledPolicy;
  const logs: AppFixture["logs"] = [];
  const logger: Logger = { log: (level, msg, fields) => logs.push({ level, msg, fields }) };
  const hub = new SseHub(store, { pollMs: 20 });
  const pending = store.tx((tx) => {
    hub.start(tx.lastEventSeq());
    return countPending(tx);
  });
  store.onCommit((events) => hub.write(events));
  const metrics = createHttpMetrics({ sinkStats: () => ({}), sseClients: () => hub.size }, pending);
  hub.tap((e) => metrics.onEvents(e));
  const app = createHttpApp({
    store,
    clock,
    logger,
    policy: () => policy,
    view: (r) => requestView({ store, policy: { current: policy } }, r),
    hub,
    metrics,
    token: opts.token ?? null,
    ...opts.deps,
  });
  const fetchApp = (path: string, init: RequestInit & { ip?: string } = {}) =>
    Promise.resolve(
      app.fetch(new Request(`http://warrant.test${path}`, init), { ip: init.ip ?? "10.0.0.1" }),
    );
  return {
    dir,
    app,
    store,
    clock,
    hub,
    logs,
    fetch: fetchApp,
    post: (requestId, body, init = {}) =>
      fetchApp(`/v1/approvals/${encodeURIComponent(requestId)}/resolutions`, {
        method: "POST",
        body,
        ...init,
        headers: { "content-type": "application/json", ...(init.headers ?? {}) },
      }),
    close() {
      hub.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
