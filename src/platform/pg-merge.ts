/**
 * Fewer statements per transaction on PostgreSQL: a run of pipelined
 * writes (PgBridge.defer: counters, the chain head, a new action, the
 * NOTIFY) becomes ONE statement of data-modifying CTEs. The driver spends
 * ~50 µs of CPU per statement in the worker, the server parses, binds and
 * executes each.
 *
 * Why it is the same transaction: PostgreSQL runs every data-modifying CTE
 * exactly once and to completion whether or not the main query reads it,
 * and checks foreign keys at the end of the statement (so an event may be
 * written beside the action it names). What changes is visibility inside
 * the one statement: its parts share one snapshot and do not see each
 * other's rows. So a run holds only INSERTs into distinct rows (never the
 * same upsert twice). Anything else (savepoints, statements whose rows are
 * kept, such as the audit events' seal, reads) ends a run and goes as it is.
 *
 * A failing part fails the whole statement, as it would have failed the
 * transaction; `parts` keeps the original statements so that the error can
 * still name the one that failed (partFor).
 */

export interface PgItem {
  op: string;
  sql?: string;
  params?: unknown[];
  keep?: boolean;
  /** The statements a merged item was made of (for error messages). */
  parts?: string[];
}

const isWrite = (i: PgItem): boolean =>
  i.op === "defer" && !i.keep && !!i.sql && /^INSERT INTO \w+ /.test(i.sql);
const isNotify = (i: PgItem): boolean =>
  i.op === "defer" && !i.keep && !!i.sql && /^SELECT pg_notify\(\$1, ''\)$/.test(i.sql);

/** `$1…$n` of `sql` shifted by `by`. */
const shift = (sql: string, by: number): string =>
  by === 0 ? sql : sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);

function merge(run: PgItem[], main: PgItem | null): PgItem {
  const params: unknown[] = [];
  const ctes = run.map((w, i) => {
    const text = `w${i + 1} AS (${shift(w.sql!, params.length)})`;
    params.push(...(w.params ?? []));
    return text;
  });
  const tail = main ? shift(main.sql!, params.length) : "SELECT 1";
  if (main) params.push(...(main.params ?? []));
  return {
    op: main?.op ?? "defer",
    sql: `WITH ${ctes.join(", ")} ${tail}`,
    params,
    parts: [...run, ...(main ? [main] : [])].map((p) => p.sql!),
  };
}

/**
 * The batch's items with each run of pipelined writes (and a NOTIFY
 * after it) merged into one item; items in the same order otherwise.
 *
 * @example mergeRuns([{op:"defer",sql:"INSERT INTO events (seq) VALUES ($1)",params:[7]},
 *   {op:"defer",sql:"SELECT pg_notify($1, '')",params:["ch"]}])
 * // → [{op:"defer", sql:"WITH w1 AS (INSERT INTO events (seq) VALUES ($1)) SELECT pg_notify($2, '')", params:[7,"ch"], parts:[…]}]
 */
export function mergeRuns<T extends PgItem>(items: readonly T[]): PgItem[] {
  const out: PgItem[] = [];
  let run: PgItem[] = [];
  const flush = (main: PgItem | null) => {
    if (run.length === 0) {
      if (main) out.push(main);
      return;
    }
    if (run.length === 1 && !main) out.push(run[0]!);
    else out.push(merge(run, main));
    run = [];
  };
  for (const item of items) {
    if (isWrite(item)) {
      // The same upsert twice in one statement is an error in PostgreSQL.
      const upsert = / ON CONFLICT /.test(item.sql!);
      if (upsert && run.some((w) => w.sql === item.sql)) flush(null);
      run.push(item);
    } else if (isNotify(item)) {
      flush(item);
    } else {
      flush(null);
      out.push(item);
    }
  }
  flush(null);
  return out;
}

/** The part of a merged statement an error belongs to (by the table PostgreSQL names). */
export function partFor(parts: readonly string[] | undefined, sql: string, e: unknown): string {
  if (!parts || parts.length === 0) return sql;
  const table = (e as { table_name?: unknown }).table_name;
  if (typeof table === "string") {
    const hit = parts.find((p) => p.startsWith(`INSERT INTO ${table} `));
    if (hit) return hit;
  }
  return parts[0]!;
}
