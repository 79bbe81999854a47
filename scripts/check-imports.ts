/**
 * Fails (exit 1) when an import points the wrong way (DESIGN.md rule 1), when
 * a runtime-specific module is named outside src/platform, or on an import
 * cycle. Run by scripts/test.
 *
 *   main → runtime → cli | transport → app → protocol → core
 *   store, bus, platform implement ports declared in app/ports/
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");

/** Which src/ layers each layer may import. */
const ALLOWED: Record<string, string[]> = {
  core: ["core"],
  protocol: ["core", "protocol"],
  app: ["core", "protocol", "app"],
  store: ["core", "app", "store"],
  bus: ["core", "protocol", "app", "bus"],
  platform: ["core", "app", "store", "platform"],
  client: ["core", "protocol", "transport", "client"],
  transport: ["core", "protocol", "app", "bus", "client", "transport"],
  cli: ["core", "protocol", "app", "client", "transport", "cli"],
  runtime: ["core", "protocol", "app", "store", "bus", "platform", "transport", "cli", "runtime"],
  main: ["platform", "runtime", "main"],
};
/** Layers that must stay free of any runtime module or global (pure or port-only). */
const PURE = new Set(["core", "protocol", "app"]);
/** Third-party packages each pure layer may import. */
const PURE_PACKAGES: Record<string, RegExp> = {
  core: /^(zod|@noble\/ed25519|@noble\/hashes(\/.*)?)$/,
  protocol: /^zod$/,
  app: /^zod$/,
};

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
const importRe =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?["']([^"']+)["']/g;
const dynamicRe = /import\(\s*["']([^"']+)["']\s*\)/g;

for (const file of walk(SRC)) {
  const text = readFileSync(file, "utf8");
  const layer = layerOf(file);
  const rel = relative(SRC, file);
  const edges: string[] = [];
  const specs = [...text.matchAll(importRe), ...text.matchAll(dynamicRe)].map((m) => m[1]!);
  for (const spec of specs) {
    if (spec.startsWith(".")) {
      const target = resolve(dirname(file), spec);
      if (!spec.endsWith(".ts")) {
        problems.push(`${rel}: import "${spec}" needs an explicit .ts suffix (Deno)`);
      }
      const tl = layerOf(target);
      if (!(ALLOWED[layer] ?? []).includes(tl)) {
        problems.push(`${rel}: ${layer} must not import ${tl} ("${spec}"); imports point inward`);
      }
      edges.push(target);
    } else if (/^(bun:|bun$)/.test(spec) && layer !== "platform") {
      problems.push(`${rel}: "${spec}" may only be imported in src/platform`);
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
