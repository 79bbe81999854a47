/**
 * Process probes shared by the Bun and Deno adapters (node:process exists in
 * both runtimes).
 */
import process from "node:process";

/**
 * True when a process with this pid exists (signal 0 probes without
 * signalling). EPERM means it exists but belongs to someone else: alive.
 *
 * @example isPidAlive(process.pid) // → true
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}
