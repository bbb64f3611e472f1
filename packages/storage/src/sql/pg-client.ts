import pg from "pg";
import type { SqlClient } from "../types.ts";

export interface PgClientOptions {
  url: string;
  /** Pool size (pg default 10). */
  max?: number;
  /** Errors of idle connections (the server went away); the next query opens a fresh one. */
  onError?: (err: Error) => void;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

// pg answers a multi-statement simple query with one result per statement; like PGlite's
// adapter we return the last, and normalise rowCount (null for some commands) to a number.
async function run<R>(db: Queryable, sql: string, params?: unknown[]) {
  const res = (await db.query(sql, params)) as pg.QueryResult | pg.QueryResult[];
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  const rows = (last?.rows ?? []) as R[];
  return { rows, rowCount: last?.rowCount ?? rows.length };
}

export function createPgClient(opts: PgClientOptions): SqlClient {
  // Offline messages are acknowledged upstream only after COMMIT, so the commit must be durable
  // regardless of the server default (docs/architecture.md "Durability").
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.max, options: "-c synchronous_commit=on" });
  // An idle client that loses its connection is dropped by the pool; without a listener the
  // 'error' event would crash the process. The next query opens a fresh connection.
  pool.on("error", (err) => opts.onError?.(err));

  async function transaction<T>(fn: (tx: Pick<SqlClient, "query">) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // A checked-out client has no pool listener: if the server goes away while `fn` awaits
    // something else (no query running), pg emits 'error' on the client and, unheard, that
    // crashes the process (AMP workers died so on a Postgres restart). Keep the error instead;
    // the next query on this client fails, and the client is destroyed, not reused.
    let lost: Error | undefined;
    const onError = (err: Error): void => {
      lost ??= err;
    };
    client.on("error", onError);
    const release = (err?: Error): void => {
      client.off("error", onError);
      client.release(err ?? lost);
    };
    try {
      await client.query("BEGIN");
      const result = await fn({ query: (sql, params) => run(client, sql, params) });
      await client.query("COMMIT");
      release();
      return result;
    } catch (err) {
      // A failed ROLLBACK means the connection is broken: destroy it rather than reuse it.
      await client.query("ROLLBACK").then(() => release(), (e: Error) => release(e));
      throw err;
    }
  }

  return {
    query: (sql, params) => run(pool, sql, params),
    transaction,
    close: () => pool.end(),
  };
}
