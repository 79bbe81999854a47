/**
 * Deno adapters: the store runs on node:sqlite under Deno 2; the pid probe
 * goes through node:process, which Deno provides.
 */
export { nodeSqlite as denoSqlite } from "./node-sqlite.ts";

export { isPidAlive } from "./process.ts";
