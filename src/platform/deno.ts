/**
 * Deno adapters: the store runs on node:sqlite under Deno 2; the pid probe
 * goes through node:process, which Deno provides.
 */
import process from "node:process";
export { nodeSqlite as denoSqlite } from "./node-sqlite.ts";

/** True when a process with this pid exists (EPERM counts as alive). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}
