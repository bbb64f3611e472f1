// The service roles on a real Postgres: what each may do works, what it may not is refused
// with "permission denied", and a role that cannot migrate only checks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayDatabase } from "../contracts/throwaway-database.ts";
import { migrate } from "../sql/migrate.ts";
import { MigrationRequiredError, SchemaAccessError } from "../sql/migrate-check.ts";
import { createPgClient } from "../sql/pg-client.ts";
import { createAmpStore } from "../sql/amp-store.ts";
import { createBlockStore } from "../sql/block-store.ts";
import { createOfflineStore } from "../sql/offline-store.ts";
import { createRosterStore } from "../sql/roster-store.ts";
import { createUserStore } from "../sql/user-store.ts";
import { applyGrants } from "./apply-grants.ts";
import { SERVICE_GRANTS } from "./pg-grants.ts";
import { rosterItem } from "../contracts/roster-versions-contract.ts";
import { grantedDatabase, type GrantedDatabase } from "./test-roles.ts";

const scram = { salt: "c2FsdA==", iterations: 4096, storedKey: "a2V5", serverKey: "a2V5" };
const DENIED = /permission denied/;

let g: GrantedDatabase;
beforeAll(async () => {
  g = await grantedDatabase();
  await createUserStore(g.owner).create({ domain: "example.com", username: "alice", scram: { "SCRAM-SHA-1": scram, "SCRAM-SHA-256": scram } });
  await createRosterStore(g.owner).upsert("alice@example.com", rosterItem("bob@example.com", { subscription: "from" }));
  await createBlockStore(g.owner).block("alice@example.com", ["mallory@example.com"]);
});
afterAll(() => g?.drop());

describe("SERVICE_GRANTS", () => {
  it("names every table of every schema a role may use, and the sequences it inserts with", async () => {
    for (const [service, schemas] of Object.entries(SERVICE_GRANTS)) {
      for (const [schema, grants] of Object.entries(schemas)) {
        const tables = await g.owner.query<{ name: string }>(
          `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema]);
        expect(Object.keys(grants.tables).sort(), `${service} on ${schema}`).toEqual(tables.rows.map((r) => r.name));
        const sequences = await g.owner.query<{ name: string }>(
          `SELECT sequencename AS name FROM pg_sequences WHERE schemaname = $1 ORDER BY 1`, [schema]);
        const inserted = Object.values(grants.tables).some((t) => t.insert);
        expect([...grants.sequences].sort(), `${service} sequences on ${schema}`).toEqual(inserted ? sequences.rows.map((r) => r.name) : []);
      }
    }
  });

  it("can be applied again (after an upgrade) with the same result", async () => {
    const before = await privileges(g);
    await applyGrants(g.owner, g.roles, ["core", "amp"]);
    expect(await privileges(g)).toEqual(before);
  });
});

describe("the AMP worker's role", () => {
  it("may not read password hashes, secrets or roster names", async () => {
    const worker = g.as("ampWorker");
    await expect(worker.query(`SELECT scram_sha256 FROM core.users`)).rejects.toThrow(DENIED);
    await expect(worker.query(`SELECT scram_sha1 FROM core.users WHERE username = 'alice'`)).rejects.toThrow(DENIED);
    await expect(worker.query(`SELECT * FROM core.users`)).rejects.toThrow(DENIED);
    await expect(worker.query(`SELECT * FROM core.secrets`)).rejects.toThrow(DENIED);
    await expect(worker.query(`SELECT name, groups FROM core.roster`)).rejects.toThrow(DENIED);
    await expect(createUserStore(worker).get("example.com", "alice")).rejects.toThrow(DENIED);
    await expect(worker.query(`DELETE FROM core.users`)).rejects.toThrow(DENIED);
    await expect(worker.query(`CREATE TABLE amp.extra (x int)`)).rejects.toThrow(DENIED);
  });

  it("runs the worker's own reads of core: account exists, strict-security roster, block list", async () => {
    const worker = g.as("ampWorker");
    expect(await createUserStore(worker).exists("example.com", "alice")).toBe(true);
    expect(await createUserStore(worker).exists("example.com", "nobody")).toBe(false);
    expect(await createRosterStore(worker).authorises("alice@example.com", "bob@example.com")).toBe(true);
    expect(await createBlockStore(worker).get("alice@example.com")).toEqual({ version: 1, jids: ["mallory@example.com"] });
  });

  it("stores, drains and expires offline messages", async () => {
    const worker = g.as("ampWorker");
    const offline = createOfflineStore(worker);
    const msg = { key: "k1", owner: "alice@example.com", sender: "bob@example.com/r", stanza: "<message/>", orderKey: "0001", expiresAt: null, meta: null };
    expect(await offline.store(msg, 100)).toBe("stored");
    expect(await offline.count("alice@example.com")).toBe(1);
    const handed: string[] = [];
    await offline.drain("alice@example.com", async (rows) => rows.map((r) => (handed.push(r.stanza), r.id)));
    expect(handed).toEqual(["<message/>"]);
    const stored = await g.owner.query(`SELECT 1 FROM amp.offline_messages`);
    expect(stored.rows).toEqual([]);
    expect(await createAmpStore(worker).pendingTimers()).toBe(0);
  });

  it("only checks migrations: both schemas are current, and it may not create anything", async () => {
    const worker = g.as("ampWorker");
    expect(await migrate(worker, "core")).toEqual([]);
    expect(await migrate(worker, "amp")).toEqual([]);
  });
});

describe("the router's role", () => {
  it("may not touch schema amp at all", async () => {
    const router = g.as("router");
    await expect(router.query(`SELECT count(*) FROM amp.offline_messages`)).rejects.toThrow(/permission denied for schema amp/);
    await expect(router.query(`DELETE FROM amp.outbox`)).rejects.toThrow(/permission denied for schema amp/);
    await expect(createOfflineStore(router).count("alice@example.com")).rejects.toThrow(DENIED);
  });

  it("reads credentials and changes only the SCRAM columns of core.users", async () => {
    const router = g.as("router");
    expect((await createUserStore(router).get("example.com", "alice"))?.scram["SCRAM-SHA-256"]).toEqual(scram);
    await expect(router.query(`UPDATE core.users SET created_at = now()`)).rejects.toThrow(DENIED);
    await expect(router.query(`CREATE TABLE core.extra (x int)`)).rejects.toThrow(DENIED);
    expect(await migrate(router, "core")).toEqual([]);
  });
});

describe("a role that may not migrate", () => {
  it("fails with the command to run when its schema is behind, and changes nothing", async () => {
    const last = (await g.owner.query<{ v: number }>(`SELECT max(version) AS v FROM core.schema_migrations`)).rows[0]!.v;
    const row = (await g.owner.query(`DELETE FROM core.schema_migrations WHERE version = $1 RETURNING name`, [last])).rows[0] as { name: string };
    try {
      const err = await migrate(g.as("router"), "core").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationRequiredError);
      expect((err as Error).message).toContain(`schema core is not migrated (pending: ${String(last).padStart(3, "0")}_${row.name})`);
      expect((err as Error).message).toContain(`role ${g.roles.router} may not migrate it: run \`npm run admin -- migrate\``);
      expect((await g.owner.query(`SELECT 1 FROM core.schema_migrations WHERE version = $1`, [last])).rows).toEqual([]);
    } finally {
      await g.owner.query(`INSERT INTO core.schema_migrations (version, name) VALUES ($1, $2)`, [last, row.name]);
    }
  });

  it("fails the same way on a database nobody migrated yet", async () => {
    const empty = await createThrowawayDatabase();
    const url = new URL(empty.url);
    url.username = g.roles.ampWorker;
    const worker = createPgClient({ url: url.toString(), max: 1 });
    try {
      await expect(migrate(worker, "amp")).rejects.toThrow(/schema amp is not migrated \(pending: 001_offline_messages, 002_outbox\)/);
      await expect(migrate(worker, "amp")).rejects.toBeInstanceOf(MigrationRequiredError);
    } finally {
      await worker.close();
      await empty.drop();
    }
  });

  it("names the grant command when it may not even read the schema", async () => {
    const err = await migrate(g.as("router"), "amp").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaAccessError);
    expect((err as Error).message).toMatch(/may not read amp\.schema_migrations: apply the grants as the schema owner \(`npm run admin -- grant/);
  });
});

/** Each role's privileges on our schemas, as the catalog reports them. */
async function privileges(db: GrantedDatabase) {
  const { rows } = await db.owner.query(
    `SELECT grantee, table_schema, table_name, column_name, privilege_type FROM information_schema.column_privileges
     WHERE grantee = ANY($1) UNION ALL
     SELECT grantee, table_schema, table_name, NULL, privilege_type FROM information_schema.table_privileges
     WHERE grantee = ANY($1) ORDER BY 1, 2, 3, 4, 5`, [Object.values(db.roles)]);
  return rows;
}
