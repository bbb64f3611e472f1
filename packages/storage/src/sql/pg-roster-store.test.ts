import { runRosterStoreContract } from "../contracts/roster-store-contract.ts";
import { createThrowawayDatabase } from "../contracts/throwaway-database.ts";
import { migrate } from "./migrate.ts";
import { createPgClient } from "./pg-client.ts";
import { createRosterStore } from "./roster-store.ts";

runRosterStoreContract("postgres", async () => {
  const db = await createThrowawayDatabase();
  const sql = createPgClient({ url: db.url });
  await migrate(sql, "core");
  return { open: (opts) => createRosterStore(sql, opts), close: async () => { await sql.close(); await db.drop(); } };
});
