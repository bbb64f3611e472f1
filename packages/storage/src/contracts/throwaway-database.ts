import { randomBytes } from "node:crypto";
import pg from "pg";

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates database xmppd_test_<random> through the `postgres` maintenance database of the
 * server at `serverUrl` (default: the loopback test server) for one test run.
 * drop() removes it, closing any connections still open to it.
 */
export async function createThrowawayDatabase(serverUrl = "postgres://postgres@127.0.0.1:5432"): Promise<ThrowawayDatabase> {
  const name = `xmppd_test_${randomBytes(6).toString("hex")}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  return { url: `${serverUrl}/${name}`, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
