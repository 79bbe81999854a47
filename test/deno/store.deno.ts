/**
 * The store contract on node:sqlite under Deno:
 * deno test --allow-read --allow-write --allow-env --no-check test/deno/store.test.ts
 */
import { nodeSqlite } from "../../src/platform/node-sqlite.ts";
import { storeContract } from "../store/contract.ts";

// Typed locally so `tsc` (Bun types) also checks this file.
declare const Deno: {
  test(
    t: { name: string; fn: () => unknown; sanitizeResources?: boolean; sanitizeOps?: boolean },
  ): void;
};

storeContract("node:sqlite", nodeSqlite, {
  test: (name, fn) => Deno.test({ name, fn, sanitizeResources: false, sanitizeOps: false }),
});
