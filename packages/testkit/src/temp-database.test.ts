import pg from "pg";
import { describe, expect, it } from "vitest";
import { SERVICE_URLS } from "./services.ts";
import { tempDatabase } from "./temp-database.ts";

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: SERVICE_URLS.pgAdminUrl });
  await client.connect();
  try {
    const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe("tempDatabase", () => {
  it("creates a usable database and drops it despite an open connection", async () => {
    const db = await tempDatabase();
    expect(db.name).toMatch(/^xmppd_t_[a-z0-9]{12}$/);
    expect(db.url).toBe(`postgres://postgres@127.0.0.1:5432/${db.name}`);
    const client = new pg.Client({ connectionString: db.url });
    client.on("error", () => undefined); // the drop terminates this connection on purpose
    await client.connect();
    await client.query("CREATE TABLE t (x int)");
    expect(await databaseExists(db.name)).toBe(true);

    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await db.drop();
    await client.end().catch(() => undefined);
  });
});
