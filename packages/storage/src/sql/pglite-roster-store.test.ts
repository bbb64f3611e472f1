import { runRosterStoreContract } from "../contracts/roster-store-contract.ts";
import { migrate } from "./migrate.ts";
import { createPgliteClient } from "./pglite-client.ts";
import { createRosterStore } from "./roster-store.ts";

runRosterStoreContract("pglite", async () => {
  const sql = createPgliteClient();
  await migrate(sql, "core");
  return { open: (opts) => createRosterStore(sql, opts), close: () => sql.close() };
});
