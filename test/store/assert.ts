/**
 * A tiny assertion kit with no runtime dependency, so the store contract
 * runs unchanged under `bun test` and `deno test`.
 */
import { isWarrantError } from "../../src/core/errors.ts";

export interface TestApi {
  test(name: string, fn: () => void | Promise<void>): void;
}

export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

function show(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      x instanceof Uint8Array ? `<bytes ${x.length}>` : typeof x === "bigint" ? `${x}n` : x,
  );
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

export function eq(actual: unknown, expected: unknown, msg = ""): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

export function ok(cond: unknown, msg = "expected a truthy value"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

/** Assert `fn` throws a WarrantError with `code` (and a message containing `includes`). */
export function throwsCode(fn: () => unknown, code: string, includes?: string): Error {
  try {
    fn();
  } catch (e) {
    if (!isWarrantError(e)) {
      throw new AssertionError(`expected WarrantError ${code}, got ${String(e)}`);
    }
    if (e.code !== code) {
      throw new AssertionError(`expected code ${code}, got ${e.code}: ${e.message}`);
    }
    if (includes !== undefined && !e.message.includes(includes)) {
      throw new AssertionError(
        `expected message to include ${show(includes)}, got ${show(e.message)}`,
      );
    }
    return e;
  }
  throw new AssertionError(`expected WarrantError ${code}, nothing was thrown`);
}
