/**
 * Threads running this program again, on node:worker_threads (the same in
 * Bun and Deno): the adapter names the entry point (Bun.main inside the
 * compiled binary or from the sources, Deno.mainModule of the bundle or the
 * sources), the thread starts there and finds its data in `workerData`.
 */
import { nodeWorkerThreads } from "./builtins.ts";
import type { Thread, ThreadPort } from "../app/ports/platform.ts";

/** The key under which a thread's data travels: any other workerData is not ours. */
const KEY = "warrantThread";

/** Start `entry` in a worker thread with `data` (see Platform.startThread). */
export function startThreadAt(entry: string | URL, data: unknown): Thread {
  const worker = new (nodeWorkerThreads().Worker)(entry, { workerData: { [KEY]: data } });
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (l) => void worker.on("message", l),
    onError: (l) => void worker.on("error", l),
    onExit: (l) => void worker.on("exit", () => l()),
    terminate: async () => void (await worker.terminate()),
  };
}

/** This thread's data and parent port when started by startThreadAt, else null. */
export function threadContext(): { data: unknown; parent: ThreadPort } | null {
  const { isMainThread, parentPort, workerData } = nodeWorkerThreads();
  if (isMainThread || parentPort === null) return null;
  const wd = workerData as Record<string, unknown> | null;
  if (wd === null || typeof wd !== "object" || !(KEY in wd)) return null;
  const port = parentPort;
  return {
    data: wd[KEY],
    parent: {
      post: (m) => port.postMessage(m),
      onMessage: (l) => void port.on("message", l),
    },
  };
}
