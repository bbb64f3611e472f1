// A throwaway Postgres database per test file: created empty, dropped with its connections.
import pg from "pg";
import { randomSuffix } from "./ids.ts";
import { SERVICE_URLS } from "./services.ts";

export interface TempDatabase {
  name: string;
  url: string;
  /** Terminates remaining connections and drops the database; safe to call twice. */
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function tempDatabase(adminUrl = SERVICE_URLS.pgAdminUrl): Promise<TempDatabase> {
  const name = `xmppd_t_${randomSuffix(12)}`;
  // The name is ours (letters and digits only), so it is safe to splice into DDL.
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = () =>
    withAdmin(adminUrl, async (c) => {
      await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
    });
  return { name, url: url.toString(), drop };
}
