/** Opens the store at argv[2], records a session, prints "ok" (used by concurrent-open.slow.test.ts). */
import { bunSqlite } from "../../src/platform/bun.ts";
import { openStore } from "../../src/store/sqlite-store.ts";

// Start barrier: every worker opens at the same instant (argv[3], ms since epoch).
const at = Number(process.argv[3] ?? 0);
while (Date.now() < at) { /* spin */ }
const store = openStore({ path: process.argv[2]!, driver: bunSqlite });
store.tx((tx) =>
  tx.openSession({ id: `ses_${process.pid}`, project: "p", pid: process.pid, at: Date.now() })
);
store.close();
process.stdout.write("ok\n");
