import { afterEach, describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../sql/migrate.ts";
import type { SqlClient } from "../types.ts";

/** A fresh empty database per test; open() may be called twice to act as two services. */
export interface SqlDatabaseFixture {
  open(): SqlClient;
  cleanup?(): Promise<void>;
}

export function runSqlClientContract(label: string, factory: () => Promise<SqlDatabaseFixture>) {
  describe(`SqlClient contract: ${label}`, () => {
    const opened: SqlClient[] = [];
    let fixture: SqlDatabaseFixture | undefined;
    async function open(): Promise<SqlClient> {
      fixture ??= await factory();
      const client = fixture.open();
      opened.push(client);
      return client;
    }
    afterEach(async () => {
      for (const c of new Set(opened.splice(0))) await c.close();
      await fixture?.cleanup?.();
      fixture = undefined;
    });

    it("returns rows and a numeric rowCount for every kind of statement", async () => {
      const sql = await open();
      expect((await sql.query("CREATE TABLE t (id int PRIMARY KEY, v text)")).rowCount).toBe(0);
      expect((await sql.query("INSERT INTO t VALUES ($1, $2), (2, 'b')", [1, "a"])).rowCount).toBe(2);
      const sel = await sql.query<{ id: number; v: string }>("SELECT id, v FROM t ORDER BY id");
      expect(sel).toEqual({ rows: [{ id: 1, v: "a" }, { id: 2, v: "b" }], rowCount: 2 });
      expect((await sql.query("UPDATE t SET v = 'x' WHERE id = $1", [9])).rowCount).toBe(0);
      expect((await sql.query("SELECT 1 AS a; SELECT 2 AS b")).rows).toEqual([{ b: 2 }]);
    });

    it("commits a transaction, rolls back a failed one and rethrows its error", async () => {
      const sql = await open();
      await sql.query("CREATE TABLE t (id int PRIMARY KEY)");
      expect(await sql.transaction(async (tx) => (await tx.query("INSERT INTO t VALUES (1)")).rowCount)).toBe(1);
      const boom = new Error("boom");
      await expect(sql.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (2)");
        throw boom;
      })).rejects.toBe(boom);
      await expect(sql.transaction((tx) => tx.query("INSERT INTO t VALUES (1)"))).rejects.toMatchObject({ code: "23505" });
      expect((await sql.query("SELECT id FROM t")).rows).toEqual([{ id: 1 }]);
    });

    it("keeps concurrent transactions isolated", async () => {
      const sql = await open();
      await sql.query("CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0)");
      const bump = () => sql.transaction(async (tx) => {
        const { rows } = await tx.query<{ n: number }>("SELECT n FROM counter FOR UPDATE");
        await tx.query("UPDATE counter SET n = $1", [rows[0]!.n + 1]);
      });
      const fail = () => sql.transaction(async (tx) => {
        await tx.query("UPDATE counter SET n = n + 1000");
        throw new Error("rollback me");
      });
      const results = await Promise.allSettled([bump(), fail(), bump(), bump(), fail(), bump()]);
      expect(results.filter((r) => r.status === "rejected")).toHaveLength(2);
      expect((await sql.query("SELECT n FROM counter")).rows).toEqual([{ n: 4 }]);
    });

    it("applies migrations once, idempotently and when two services start at once", async () => {
      const [a, b] = [await open(), await open()];
      const [core1, core2, amp1, amp2] = await Promise.all([
        migrate(a, "core"), migrate(b, "core"), migrate(b, "amp"), migrate(a, "amp"),
      ]);
      const coreVersions = (await loadMigrations("core")).map((m) => m.version);
      const ampVersions = (await loadMigrations("amp")).map((m) => m.version);
      expect([...core1, ...core2].sort()).toEqual(coreVersions);
      expect([...amp1, ...amp2].sort()).toEqual(ampVersions);
      expect(await migrate(a, "core")).toEqual([]);
      expect(await migrate(a, "amp")).toEqual([]);
      const recorded = await a.query<{ version: number }>("SELECT version FROM core.schema_migrations ORDER BY version");
      expect(recorded.rows.map((r) => r.version)).toEqual(coreVersions);
      const tables = await a.query<{ t: string }>(
        `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
         WHERE table_schema IN ('core', 'amp') ORDER BY 1`);
      expect(tables.rows.map((r) => r.t)).toEqual([
        "amp.offline_messages", "amp.outbox", "amp.schema_migrations", "core.account_xml", "core.blocklist", "core.blocklist_versions",
        "core.last_activity", "core.roster", "core.roster_versions", "core.schema_migrations", "core.secrets", "core.users",
      ]);
    });
  });
}
