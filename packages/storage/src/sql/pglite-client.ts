import type { PGlite } from "@electric-sql/pglite";
import type { SqlClient } from "../types.ts";

export interface PgliteClientOptions {
  /** Directory for the database files; undefined keeps the database in memory. */
  dataDir?: string;
}

interface PgliteQueryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount?: number; affectedRows?: number }>;
  exec(sql: string): Promise<{ rows: unknown[]; rowCount?: number; affectedRows?: number }[]>;
}

// pg sends a query without parameters over the simple protocol, which accepts several
// statements (migrations rely on this); PGlite's query() does not, so such queries go to exec()
// and, like pg, report the last statement's result.
async function run<R>(db: PgliteQueryable, sql: string, params?: unknown[]) {
  const res = params === undefined || params.length === 0
    ? (await db.exec(sql)).at(-1)
    : await db.query<R>(sql, params);
  const rows = (res?.rows ?? []) as R[];
  return { rows, rowCount: res?.rowCount ?? res?.affectedRows ?? rows.length };
}

/**
 * PGlite is a single connection: its transaction() holds a mutex that also queues plain queries,
 * so concurrent transactions run one after another, which is the serial order Postgres
 * would otherwise enforce with locks. A transaction callback must use `tx`, never the client
 * itself (that would wait on its own mutex).
 */
export function createPgliteClient(opts: PgliteClientOptions = {}): SqlClient {
  // Imported when first used: routers and AMP workers of a cluster load the bundle that has this
  // client but always talk to a Postgres server, and need not hold PGlite's module in memory.
  const opened: Promise<PGlite> = import("@electric-sql/pglite").then(({ PGlite }) => new PGlite(opts.dataDir));
  // Queries await readiness themselves and surface a failed start; this only keeps an unused
  // client from raising an unhandled rejection.
  opened.then((db) => db.waitReady).catch(() => {});
  return {
    query: async (sql, params) => run(await opened, sql, params),
    transaction: async (fn) => (await opened).transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params) })),
    close: async () => (await opened).close(),
  };
}
