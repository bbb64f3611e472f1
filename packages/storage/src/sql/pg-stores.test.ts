import { describe, expect, it } from "vitest";
import { createThrowawayDatabase } from "../contracts/throwaway-database.ts";
import { runOfflineStoreContract } from "../contracts/offline-store-contract.ts";
import { runSqlClientContract } from "../contracts/sql-client-contract.ts";
import { runUserStoreContract } from "../contracts/user-store-contract.ts";
import { migrate } from "./migrate.ts";
import { createOfflineStore } from "./offline-store.ts";
import { createPgClient } from "./pg-client.ts";
import { createAmpStore } from "./amp-store.ts";
import { runAmpStoreContract } from "../contracts/amp-store-contract.ts";
import { createUserStore } from "./user-store.ts";

runSqlClientContract("postgres", async () => {
  const db = await createThrowawayDatabase();
  return { open: () => createPgClient({ url: db.url }), cleanup: db.drop };
});

runUserStoreContract("postgres", async () => {
  const db = await createThrowawayDatabase();
  const sql = createPgClient({ url: db.url });
  await migrate(sql, "core");
  return { store: createUserStore(sql), close: async () => { await sql.close(); await db.drop(); } };
});

runOfflineStoreContract("postgres", async () => {
  const db = await createThrowawayDatabase();
  const sql = createPgClient({ url: db.url });
  await migrate(sql, "amp");
  return { store: createOfflineStore(sql), close: async () => { await sql.close(); await db.drop(); } };
});

runAmpStoreContract("postgres", async () => {
  const db = await createThrowawayDatabase();
  const sql = createPgClient({ url: db.url });
  await migrate(sql, "amp");
  return { amp: createAmpStore(sql), offline: createOfflineStore(sql), close: async () => { await sql.close(); await db.drop(); } };
});

describe("createPgClient", () => {
  it("commits synchronously even when the database default is off", async () => {
    const db = await createThrowawayDatabase();
    const setup = createPgClient({ url: db.url, max: 1 });
    await setup.query(`ALTER DATABASE ${new URL(db.url).pathname.slice(1)} SET synchronous_commit = off`);
    await setup.close();
    const sql = createPgClient({ url: db.url, max: 1 });
    try {
      await sql.transaction(async (tx) => {
        expect((await tx.query("SHOW synchronous_commit")).rows).toEqual([{ synchronous_commit: "on" }]);
      });
    } finally {
      await sql.close();
      await db.drop();
    }
  });
});
