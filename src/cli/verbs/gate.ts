/**
 * `warrant runtime gate --config FILE`: the stdio sidecar an agent's hook
 * spawns. The wiring lives in runtime/gate.ts, reached
 * through the Runtime port.
 */
import { flagString, requireFlag } from "../io.ts";
import type { Verb } from "../io.ts";

const HELP = `warrant runtime gate — the stdio gate (NDJSON) an agent's hook talks to

Usage: warrant runtime gate --config FILE [--http HOST:PORT]
       warrant runtime gate -c FILE        (Lodestar's spelling)

Reads requests from stdin and writes replies to stdout, one JSON object per
line (see docs/protocol.md); diagnostics go to stderr as JSON lines.

Flags:
  -c, --config FILE  warrant.json (required)
  --http HOST:PORT   also serve the HTTP approval endpoint in this process

Signals: SIGHUP reloads the policy; SIGTERM stops cleanly (exit 0).

Example:
  warrant runtime gate --config ./warrant.json`;

/** `warrant runtime gate`. */
export const runtimeGateVerb: Verb = {
  name: "runtime gate",
  summary: "run the stdio gate (the process an agent's hook spawns)",
  help: HELP,
  flags: { config: { type: "string", short: "c" }, http: { type: "string" } },
  face: true,
  async run(args, io) {
    const configPath = requireFlag(args, "config", "the path to warrant.json");
    return await io.runtime.gate(configPath, flagString(args, "http"), io);
  },
};

/** The gate verbs, registered by all.ts. */
export const gateVerbs: Verb[] = [runtimeGateVerb];
