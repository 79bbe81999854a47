/**
 * The store contract's PostgreSQL backend: each test gets a fresh schema on
 * the server named by WARRANT_TEST_PG_URL (scripts/test starts a throwaway
 * cluster), dropped afterwards. `pgTestUrl()` says whether to run, skip
 * (saying so) or fail: under CI=true a missing server is a failure.
 */
import type { SqlDriver } from "../../../src/app/ports/sql.ts";
import type { Store } from "../../../src/app/ports/store.ts";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { pgDriver } from "../../../src/store/postgres/pg-driver.ts";
import { openPgStore } from "../../../src/store/postgres/pg-store.ts";
import type { Ctx } from "../harness.ts";

/** The test server's URL, or null (after saying why) when PostgreSQL tests must skip. */
export function pgTestUrl(): string | null {
  const url = process.env.WARRANT_TEST_PG_URL;
  if (url) return url;
  if (process.env.CI === "true") {
    throw new Error(
      "WARRANT_TEST_PG_URL is not set under CI=true: the PostgreSQL store tests must run " +
        "(scripts/test installs and starts a throwaway cluster)",
    );
  }
  console.error(
    "SKIPPED: PostgreSQL store tests (WARRANT_TEST_PG_URL not set; scripts/test starts a cluster)",
  );
  return null;
}

let n = 0;

/** A unique schema name for one test (several test runs share the server). */
export function freshSchema(prefix = "t"): string {
  const r = crypto.getRandomValues(new Uint8Array(4));
  return `${prefix}_${process.pid}_${++n}_${[...r].map((x) => x.toString(16)).join("")}`;
}

/** A raw connection speaking the store's SQL, as an attacker with the credentials would. */
export function rawPg(url: string, schema: string): SqlDriver {
  const d = pgDriver(pgBridge({ url, schema }), schema);
  return {
    ...d,
    // SQLite's DROP TRIGGER has no table; PostgreSQL's names it.
    exec(sql: string) {
      d.exec(sql.replace(/DROP TRIGGER IF EXISTS (\w+);/g, "DROP TRIGGER IF EXISTS $1 ON events;"));
    },
  };
}

/** Drop a test schema and everything in it. */
export function dropSchema(url: string, schema: string): void {
  const b = pgBridge({ url, schema: "public" });
  try {
    b.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    b.close();
  }
}

export function pgBackend(url: string): { ctx(): Ctx } {
  return {
    ctx() {
      const schema = freshSchema();
      const opened: Store[] = [];
      const raws: SqlDriver[] = [];
      return {
        kind: "postgres",
        dir: "",
        path: schema,
        open(codec, busyTimeoutMs) {
          const s = openPgStore({
            url,
            schema,
            bridge: pgBridge,
            ...(codec ? { codec } : {}),
            ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}),
            clock: { now: () => 1 },
          });
          opened.push(s);
          return s;
        },
        raw() {
          const r = rawPg(url, schema);
          raws.push(r);
          return r;
        },
        cleanup() {
          for (const s of opened) s.close();
          for (const r of raws) r.close();
          dropSchema(url, schema);
        },
      };
    },
  };
}
