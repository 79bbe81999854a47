/**
 * Where a gate's CPU time goes: a .cpuprofile (Chrome format, as written by
 * `bun --cpu-prof`) summed by self time into a few categories a reader can
 * act on (SQLite statements, stdio, JSON, canonical JSON and hashing,
 * validation, the rest), plus the top functions.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  categories: Array<{ name: string; ms: number; share: number }>;
  top: Array<{ fn: string; ms: number; share: number }>;
}

/** The category of a function by its name and source file (first match wins). */
function categoryOf(fn: string, url: string): string {
  const file = url.split("/").slice(-2).join("/");
  if (
    url.includes("bun:sqlite") || /sqlite/.test(file) ||
    ["run", "get", "all"].includes(fn) && url === ""
  ) {
    return "SQLite statements (native)";
  }
  if (
    /^(write|writeFast|read|internalRead|onStreamRead)$/.test(fn) ||
    /streams|node:events|net/.test(url)
  ) {
    return "stdin/stdout";
  }
  if (
    /canonical-json|audit-chain|digest|hash|sha2|_md/.test(file) ||
    /^(hash|digest|update)$/.test(fn)
  ) {
    return "canonical JSON + hashing";
  }
  if (/zod|schemas\.js|parse\.js|util\.js|gate-inbound/.test(url)) return "validation (zod)";
  if (/^(parse|stringify)$/.test(fn)) return "JSON.parse / stringify";
  if (/store\//.test(url)) return "store (JS)";
  if (/(app|transport|protocol|core|runtime)\//.test(url)) return "warrant (other JS)";
  if (fn === "(garbage collector)" || fn === "(program)" || fn === "(idle)") return fn;
  return "runtime / other";
}

/**
 * Summarise the profile at `path`; `fromMs`: skip the samples of the first
 * `fromMs` ms after the profile starts (start-up and warm-up).
 */
export function summarizeProfile(path: string, top = 8, fromMs = 0): ProfileSummary {
  const p = JSON.parse(readFileSync(path, "utf8")) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // A sample's time delta is the gap since the previous sample. The sampler
  // takes no samples while the thread waits in the event loop, so after an
  // idle wait (a server between requests) that gap holds the wait, and the
  // first function sampled afterwards would be charged with it. Each sample
  // counts for at most the typical gap (the median: the sampling interval
  // plus the sampler's own overhead), so the profile weighs what ran.
  const sorted = p.timeDeltas.filter((d) => d > 0).sort((a, b) => a - b);
  const cap = sorted[Math.floor(sorted.length / 2)] ?? 0;
  let at = 0;
  p.samples.forEach((id, i) => {
    const delta = p.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= fromMs * 1000) self.set(id, (self.get(id) ?? 0) + Math.min(delta, cap));
  });
  let total = 0;
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const n = nodes.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || "(anonymous)";
    if (fn === "(idle)") continue;
    total += us;
    const cat = categoryOf(fn, url);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const key = `${fn} ${url ? `${url.split("/").slice(-2).join("/")}:${lineNumber}` : "(native)"}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ k, ms: us / 1000, share: us / total }));
  return {
    totalMs: total / 1000,
    categories: rows(cats).map((r) => ({ name: r.k, ms: r.ms, share: r.share })),
    top: rows(fns).slice(0, top).map((r) => ({ fn: r.k, ms: r.ms, share: r.share })),
  };
}
