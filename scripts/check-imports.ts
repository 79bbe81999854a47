/**
 * Fails (exit 1) when an import points the wrong way (docs/architecture.md), when
 * a runtime-specific module (bun:*, node:* with I/O, Bun./Deno. globals) is
 * named outside src/platform and not listed below, or on an import cycle.
 * Run by scripts/test. `--table` prints the layer table as Markdown.
 *
 *   main → runtime → cli | transport → app → protocol → core
 *   store, bus, platform implement ports declared in app/ports/
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");

/** Which src/ layers each layer may import (docs/architecture.md; docs/architecture.md). */
const ALLOWED: Record<string, string[]> = {
  core: ["core"],
  protocol: ["core", "protocol"],
  app: ["core", "protocol", "app"],
  store: ["core", "app", "store"],
  bus: ["core", "protocol", "app", "bus"],
  platform: ["core", "app", "platform"],
  client: ["core", "protocol", "client"],
  transport: ["core", "protocol", "app", "transport"],
  cli: ["core", "protocol", "app", "cli"],
  runtime: ["core", "protocol", "app", "store", "bus", "platform", "transport", "cli", "runtime"],
  main: ["platform", "runtime", "main"],
};
/**
 * Type-only imports tolerated against the table, each with its reason. They
 * carry no code at run time; each is a port still to be named in app/ports/.
 */
const TYPE_ONLY: Record<string, string> = {
  "transport→bus": "the SSE hub's Subscription/SseHub and the bus's SinkStats types",
};
/** Layers that must stay free of any runtime module or global (pure or port-only). */
const PURE = new Set(["core", "protocol", "app"]);
/** Third-party packages each pure layer may import. */
const PURE_PACKAGES: Record<string, RegExp> = {
  core: /^(zod(\/mini|\/v4\/core|\/v4\/locales\/en\.js)?|@noble\/ed25519|@noble\/hashes(\/.*)?)$/,
  protocol: /^zod(\/mini|\/v4\/core)?$/,
  app: /^zod(\/mini)?$/,
};
/** node:* modules without I/O, the same in Bun and Deno: allowed outside the pure layers. */
const NEUTRAL_NODE = new Set(["node:path", "node:util"]);
/**
 * node:* I/O outside src/platform that is known and listed, file by file,
 * with why. Anything else fails. The client is a library that runs in the
 * caller's process (it spawns the gate); the others are the composition root's
 * own file access and the JSONL destination. The CLI reaches files through
 * the Files port (app/ports/files.ts) and names no node:* I/O module.
 */
const NODE_EXCEPTIONS: Record<string, string> = {
  "client/gate-client.ts node:child_process": "library: spawns the gate in the caller's process",
  "bus/jsonl-sink.ts node:fs": "the JSONL destination appends to its file",
  "runtime/open.ts node:fs": "config read, store folder check, policy folder watch",
  "runtime/audit-store.ts node:fs": "existence check before opening read-only",
};

if (process.argv.includes("--table")) {
  const layers = Object.keys(ALLOWED);
  process.stdout.write(`| layer | may import |\n|---|---|\n`);
  for (const l of layers) {
    process.stdout.write(`| ${l} | ${ALLOWED[l]!.filter((x) => x !== l).join(", ") || "—"} |\n`);
  }
  process.exit(0);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(SRC, file);
  return /^main\.[a-z]+\.ts$/.test(rel) ? "main" : rel.split("/")[0]!;
}

const problems: string[] = [];
const graph = new Map<string, string[]>();
const importRe = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?["']([^"']+)["']/g;
const dynamicRe = /import\(\s*["']([^"']+)["']\s*\)/g;

for (const file of walk(SRC)) {
  const text = readFileSync(file, "utf8");
  const layer = layerOf(file);
  const rel = relative(SRC, file);
  const edges: string[] = [];
  const specs = [
    ...[...text.matchAll(importRe)].map((m) => ({ spec: m[2]!, typeOnly: m[1] !== undefined })),
    ...[...text.matchAll(dynamicRe)].map((m) => ({ spec: m[1]!, typeOnly: false })),
  ];
  const used = new Set<string>();
  for (const { spec, typeOnly } of specs) {
    if (spec.startsWith(".")) {
      const target = resolve(dirname(file), spec);
      if (!spec.endsWith(".ts")) {
        problems.push(`${rel}: import "${spec}" needs an explicit .ts suffix (Deno)`);
      }
      const tl = layerOf(target);
      if (!(ALLOWED[layer] ?? []).includes(tl) && !(typeOnly && TYPE_ONLY[`${layer}→${tl}`])) {
        problems.push(`${rel}: ${layer} must not import ${tl} ("${spec}"); imports point inward`);
      }
      edges.push(target);
    } else if (/^(bun:|bun$)/.test(spec) && layer !== "platform") {
      problems.push(`${rel}: "${spec}" may only be imported in src/platform`);
    } else if (
      spec.startsWith("node:") && layer !== "platform" && !PURE.has(layer) &&
      !NEUTRAL_NODE.has(spec)
    ) {
      used.add(`${rel} ${spec}`);
      if (!NODE_EXCEPTIONS[`${rel} ${spec}`]) {
        problems.push(
          `${rel}: "${spec}" belongs in src/platform (reach it through a port: app/ports/platform.ts)`,
        );
      }
    } else if (PURE.has(layer) && !PURE_PACKAGES[layer]!.test(spec)) {
      problems.push(`${rel}: the ${layer} layer may not import "${spec}"`);
    } else if (spec === "@noble/ed25519" && rel !== "core/ed25519.ts") {
      problems.push(`${rel}: only core/ed25519.ts may import @noble/ed25519`);
    }
  }
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
  if (layer !== "platform" && /\b(Bun|Deno)\.[a-zA-Z]/.test(code)) {
    problems.push(`${rel}: Bun./Deno. globals belong in src/platform`);
  }
  if (
    PURE.has(layer) &&
    /\b(process\.|Date\.now\(|new Date\(\)|Math\.random\(|crypto\.getRandomValues|console\.)/.test(
      code,
    )
  ) {
    problems.push(
      `${rel}: ${layer} must not touch the process, the clock, randomness or the console (pass them in)`,
    );
  }
  graph.set(file, edges);
  for (const key of Object.keys(NODE_EXCEPTIONS)) {
    if (key.startsWith(`${rel} `) && !used.has(key)) {
      problems.push(`${rel}: no longer imports ${key.split(" ")[1]}; drop it from NODE_EXCEPTIONS`);
    }
  }
}

// Cycle detection (DFS, colours).
const colour = new Map<string, 1 | 2>();
const stack: string[] = [];
function visit(f: string): void {
  colour.set(f, 1);
  stack.push(f);
  for (const t of graph.get(f) ?? []) {
    if (colour.get(t) === 1) {
      const cycle = stack.slice(stack.indexOf(t)).concat(t).map((p) => relative(SRC, p));
      problems.push(`import cycle: ${cycle.join(" → ")}`);
    } else if (!colour.has(t) && graph.has(t)) visit(t);
  }
  stack.pop();
  colour.set(f, 2);
}
for (const f of graph.keys()) if (!colour.has(f)) visit(f);

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.stderr.write(`${problems.length} import problem(s)\n`);
  process.exit(1);
}
process.stdout.write(`imports ok: ${graph.size} files, no wrong-way import, no cycle\n`);
