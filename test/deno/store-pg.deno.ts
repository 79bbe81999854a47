/**
 * The store contract on PostgreSQL under Deno (the bridge's worker on
 * Deno's node:worker_threads), against WARRANT_TEST_PG_URL:
 * deno test --allow-all --no-check test/deno/store-pg.deno.ts
 */
import { storeContract } from "../store/contract.ts";
import { pgBackend, pgTestUrl } from "../store/postgres/pg-backend.ts";

// Typed locally so `tsc` (Bun types) also checks this file.
declare const Deno: {
  test(
    t: {
      name: string;
      fn: () => unknown;
      ignore?: boolean;
      sanitizeResources?: boolean;
      sanitizeOps?: boolean;
    },
  ): void;
};

const url = pgTestUrl();
if (url) {
  storeContract("postgres (deno)", pgBackend(url), {
    test: (name, fn) => Deno.test({ name, fn, sanitizeResources: false, sanitizeOps: false }),
  });
} else {
  Deno.test({
    name: "postgres (deno): store contract (no PostgreSQL server)",
    ignore: true,
    fn() {},
  });
}
