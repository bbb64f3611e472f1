import { runSqlClientContract } from "../contracts/sql-client-contract.ts";
import { runOfflineStoreContract } from "../contracts/offline-store-contract.ts";
import { runUserStoreContract } from "../contracts/user-store-contract.ts";
import { migrate } from "./migrate.ts";
import { createOfflineStore } from "./offline-store.ts";
import { createPgliteClient } from "./pglite-client.ts";
import { createUserStore } from "./user-store.ts";
import { createAmpStore } from "./amp-store.ts";
import { runAmpStoreContract } from "../contracts/amp-store-contract.ts";

// One in-memory PGlite is one database; open() twice returns the same instance.
runSqlClientContract("pglite", async () => {
  const sql = createPgliteClient();
  return { open: () => sql };
});

runUserStoreContract("pglite", async () => {
  const sql = createPgliteClient();
  await migrate(sql, "core");
  return { store: createUserStore(sql), close: () => sql.close() };
});

runOfflineStoreContract("pglite", async () => {
  const sql = createPgliteClient();
  await migrate(sql, "amp");
  return { store: createOfflineStore(sql), close: () => sql.close() };
});

runAmpStoreContract("pglite", async () => {
  const sql = createPgliteClient();
  await migrate(sql, "amp");
  return { amp: createAmpStore(sql), offline: createOfflineStore(sql), close: () => sql.close() };
});
