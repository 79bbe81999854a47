/**
 * The composition root: the only place that knows every concrete class.
 * Given a Platform (Bun or Deno), it builds the Runtime the CLI receives:
 * config loading, the store, the gate, the HTTP face, the audit store and
 * the process runner, all on that platform's SQLite and HTTP server.
 */
import type { Platform } from "../app/ports/platform.ts";
import { useNativeHashes } from "../core/digest.ts";
import { useNativeVerify } from "../core/ed25519.ts";
import type { Runtime } from "../app/ports/runtime.ts";
import { openAuditStore, witnessVerdict } from "./audit-store.ts";
import { runGate } from "./gate.ts";
import { runStoreCopy } from "./store-copy.ts";
import { dataCodecFromEnv, declaredToolRunner, loadConfigFile, openRuntime } from "./open.ts";

/**
 * Build the runtime for `platform`. Nothing is opened until a verb asks.
 *
 * @example const rt = createRuntime(bunPlatform); const env = rt.open("warrant.json", io);
 */
export function createRuntime(platform: Platform): Runtime {
  // Same results, native speed: the audit chain hashes every event, and the
  // approval endpoint verifies a signature per POST.
  useNativeHashes(platform.nativeCrypto.hashes);
  useNativeVerify(platform.nativeCrypto.ed25519Verify);
  return {
    platform: platform.name,
    files: platform.files,
    steadyState: () => platform.steadyState(),
    loadConfig: (path, cwd) => loadConfigFile(path, cwd),
    open: (configPath, io, opts) => openRuntime(platform, configPath, io, opts),
    toolRunner: (config, from) => declaredToolRunner(platform, config, from),
    dataCodec: (varName, from) => dataCodecFromEnv(platform, varName, from),
    openAuditStore: (path, env) => openAuditStore(platform, path, env),
    witness: (config, store) => witnessVerdict(platform, config, store),
    copyStore: (opts) => runStoreCopy(platform, opts),
    gate: (configPath, httpListen, io, stdio) =>
      runGate(platform, configPath, httpListen, io, stdio ?? platform.gateStdio()),
    // Loaded when asked for: the HTTP face (Hono, the inbox, OpenAPI) and the
    // MCP face (its SDK) cost start-up time a stdio gate or a CLI verb never needs.
    serve: async (configPath, listen, io) =>
      (await import("./http.ts")).runServe(platform, configPath, listen, io),
    mcp: async (configPath, target, io) =>
      (await import("./mcp.ts")).runMcp(platform, configPath, target, io),
  };
}
