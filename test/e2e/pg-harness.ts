/**
 * Workspaces on the PostgreSQL test server (WARRANT_TEST_PG_URL, started by
 * scripts/test): one fresh schema per workspace, the URL handed to every
 * process through WARRANT_DATABASE_URL as users configure it, and the
 * server's pg_ctl for the fault test (WARRANT_TEST_PG_CTL).
 */
import { execSync } from "node:child_process";
import { dropSchema, freshSchema, pgTestUrl } from "../store/postgres/pg-backend.ts";
import { makeWorkspace, OTHER_PRODUCT, type Workspace, type WorkspaceOptions } from "./harness.ts";

/** The server's URL, or null after saying why the PostgreSQL e2e tests skip (never under CI). */
export function pgE2eUrl(what: string): string | null {
  if (OTHER_PRODUCT) {
    console.warn(
      `SKIPPED ${what} on ${process.env.WARRANT_E2E_BIN}: the multi-process PostgreSQL tests ` +
        `drive the compiled binary (the Deno product runs the store contract on PostgreSQL)`,
    );
    return null;
  }
  return pgTestUrl();
}

export interface PgWorkspace extends Workspace {
  schema: string;
  /** The environment every process of this workspace gets (the URL). */
  env: Record<string, string>;
}

/** A workspace whose store is a fresh schema on `url`; cleanup drops it. */
export async function pgWorkspace(url: string, opts: WorkspaceOptions): Promise<PgWorkspace> {
  const schema = freshSchema("mp");
  const ws = await makeWorkspace({
    ...opts,
    config: {
      ...opts.config,
      store: { postgres: { url_env: "WARRANT_DATABASE_URL", schema } },
    },
  });
  return {
    ...ws,
    schema,
    env: { WARRANT_DATABASE_URL: url },
    cleanup() {
      ws.cleanup();
      dropSchema(url, schema);
    },
  };
}

/** Run `pg_ctl … stop|start` on the test server (scripts/lib/pg-cluster.sh exports the command). */
export function pgCtl(action: "stop" | "start"): void {
  const ctl = process.env.WARRANT_TEST_PG_CTL;
  if (!ctl) throw new Error("WARRANT_TEST_PG_CTL is not set (scripts/test exports it)");
  execSync(`${ctl} ${action === "stop" ? "-m fast stop" : "start"}`, { stdio: "ignore" });
}
