import { PGlite } from "@electric-sql/pglite";
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
  const db = new PGlite(opts.dataDir);
  // Queries await readiness themselves and surface a failed start; this only keeps an unused
  // client from raising an unhandled rejection.
  db.waitReady.catch(() => {});
  return {
    query: (sql, params) => run(db, sql, params),
    transaction: (fn) => db.transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params) })),
    close: () => db.close(),
  };
}
