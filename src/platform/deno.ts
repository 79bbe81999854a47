/**
 * The Deno platform: node:sqlite (Deno 2) and Deno.serve, plus the
 * runtime-neutral adapters (node:crypto AEAD, process runner, clock, ids,
 * logger). One of the only files allowed to name Deno APIs (docs/architecture.md).
 */
import { startThreadAt, threadContext } from "./threads.ts";
import type { FetchHandler, HttpServer, Platform, ServeOptions } from "../app/ports/platform.ts";
import type { GateStdio } from "../app/ports/runtime.ts";
import { nodeAead } from "./aead.ts";
import { nodeFiles } from "./files.ts";
import { pgBridge } from "./pg-bridge.ts";
import { nodeEd25519Verify, nodeHashes } from "./native-crypto.ts";
import { nodeSqlite } from "./node-sqlite.ts";
import { isPidAlive } from "./process.ts";
import { processRunner } from "./process-runner.ts";
import { stderrLogger, systemClock, systemIds } from "./system.ts";
import { streamStdio } from "./stdio.ts";

/** The slice of Deno's API used here (the project typechecks against Bun's types). */
interface DenoServer {
  addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
  finished: Promise<void>;
}
declare const Deno: {
  serve(
    opts: {
      hostname: string;
      port: number;
      signal: AbortSignal;
      onListen(addr: unknown): void;
      onError(e: unknown): Response;
    },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Promise<Response>,
  ): DenoServer;
  /** The URL of the module the program started from. */
  mainModule: string;
  stdin: { readable: ReadableStream<Uint8Array> };
  stdout: { writeSync(bytes: Uint8Array): number };
};

const SERVER_ERROR = JSON.stringify({
  error: { code: "internal_error", message: "unexpected server error" },
});

/**
 * Listen on `hostname:port` with Deno.serve and serve `fetch`. Deno has no
 * pre-handler body limit; the HTTP app caps every body it reads. Throws when
 * the address cannot be bound (in use, not permitted).
 *
 * @example const s = denoServe(app.fetch, { hostname: "127.0.0.1", port: 0, maxRequestBodySize: 16384 });
 */
export function denoServe(fetch: FetchHandler, opts: ServeOptions): HttpServer {
  const abort = new AbortController();
  const server = Deno.serve({
    hostname: opts.hostname,
    port: opts.port,
    signal: abort.signal,
    onListen() {}, // the caller prints its own readiness line
    onError: () =>
      new Response(SERVER_ERROR, { status: 500, headers: { "content-type": "application/json" } }),
  }, async (req, info) => await fetch(req, { ip: info.remoteAddr.hostname }));
  return {
    hostname: server.addr.hostname,
    port: server.addr.port,
    async stop(force = false) {
      if (force) abort.abort();
      else await server.shutdown();
      await server.finished;
    },
  };
}

/**
 * The stdio gate's streams: Deno.stdin's web stream, and Deno.stdout
 * written synchronously, as node:process's stdout did on Deno (the pipe is
 * blocking; a hook that stops reading stalls the gate, not its records).
 * Not Deno.stdout's web stream: at 32 callers its async writes doubled the
 * gate's CPU per govern. A failed write (EPIPE) throws: stdout closed.
 * Not node:process's stdout: platform/stdio.ts says why.
 */
function denoStdio(): GateStdio {
  const encoder = new TextEncoder();
  return streamStdio(() => Deno.stdin.readable, (data) => {
    let bytes = encoder.encode(data);
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
    return undefined;
  });
}

/** The product on Deno (what scripts/warrant-deno runs). */
export const denoPlatform: Platform = {
  name: "deno",
  sqlite: nodeSqlite,
  postgres: pgBridge,
  serveHttp: denoServe,
  aead: nodeAead,
  nativeCrypto: { hashes: nodeHashes, ed25519Verify: nodeEd25519Verify },
  files: nodeFiles,
  clock: systemClock,
  // This program: dist/warrant-deno.js or src/main.deno.ts.
  startThread: (data) => startThreadAt(new URL(Deno.mainModule), data),
  threadContext,
  gateStdio: denoStdio,
  steadyState: () => {},
  ids: systemIds,
  logger: stderrLogger,
  isPidAlive,
  processRunner,
};

export { isPidAlive };
export { nodeSqlite as denoSqlite };
