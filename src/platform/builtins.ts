/**
 * node: modules that only some starts need, loaded at first use instead of
 * at link time. A static import of one is resolved before any code runs,
 * however lazily the code using it is loaded: on Bun, node:crypto costs
 * ~7 ms of every start, node:worker_threads ~6 ms, node:child_process
 * ~3 ms (bench/startup.ts measures spawn → ready). Bun and Deno both
 * provide process.getBuiltinModule; each module is loaded once.
 */
import type * as Crypto from "node:crypto";
import type * as ChildProcess from "node:child_process";
import type * as WorkerThreads from "node:worker_threads";

let crypto: typeof Crypto | undefined;
let childProcess: typeof ChildProcess | undefined;
let workerThreads: typeof WorkerThreads | undefined;

export const nodeCrypto = (): typeof Crypto =>
  crypto ??= process.getBuiltinModule("node:crypto") as typeof Crypto;

export const nodeChildProcess = (): typeof ChildProcess =>
  childProcess ??= process.getBuiltinModule("node:child_process") as typeof ChildProcess;

export const nodeWorkerThreads = (): typeof WorkerThreads =>
  workerThreads ??= process.getBuiltinModule("node:worker_threads") as typeof WorkerThreads;
