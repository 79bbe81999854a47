/**
 * The PostgreSQL bridge's transactions start on a reserved connection. The
 * driver (postgres 3.4.9) never hands over a reservation that has to open
 * the connection itself, so the worker opens it first: a transaction as a
 * fresh bridge's first request, and the first one after the server closed
 * the connection, must both run (before, each waited for the bridge's
 * timeout and failed store_unavailable).
 */
import { expect, test } from "bun:test";
import { pgBridge } from "../../../src/platform/pg-bridge.ts";
import { pgTestUrl } from "./pg-backend.ts";

const url = pgTestUrl();
const pgTest = url ? test : test.skip;

/** A transaction taking a lock and reading a value: what a store writer does first. */
function oneTx(b: ReturnType<typeof pgBridge>): number {
  b.begin({ lockKey: 4242, lockTimeoutMs: 5000 });
  try {
    const v = Number(b.query("SELECT $1::int + 1 AS v", [41]).rows[0]!.v);
    b.commit();
    return v;
  } catch (e) {
    b.rollback();
    throw e;
  }
}

pgTest("a transaction is a fresh bridge's first request", () => {
  const b = pgBridge({ url: url!, schema: "public", timeoutMs: 10_000 });
  try {
    expect(oneTx(b)).toBe(42);
  } finally {
    b.close();
  }
});

pgTest("after the server closed the connection, a transaction reconnects and runs", async () => {
  const b = pgBridge({ url: url!, schema: "public", timeoutMs: 10_000 });
  const admin = pgBridge({ url: url!, schema: "public" });
  try {
    const pid = Number(b.query("SELECT pg_backend_pid() AS p").rows[0]!.p);
    admin.query("SELECT pg_terminate_backend($1)", [pid]);
    // Refused at once (store_unavailable) while the driver notices and
    // backs off, then it reconnects: within a few seconds a transaction runs.
    let got: number | null = null;
    const refusals: string[] = [];
    for (let i = 0; i < 50 && got === null; i++) {
      try {
        got = oneTx(b);
      } catch (e) {
        expect((e as { code?: string }).code).toBe("store_unavailable");
        refusals.push(`${Math.round(performance.now())} ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect({ got, refusals: got === 42 ? [] : refusals }).toEqual({ got: 42, refusals: [] });
    expect(Number(b.query("SELECT pg_backend_pid() AS p").rows[0]!.p)).not.toBe(pid);
  } finally {
    b.close();
    admin.close();
  }
});
