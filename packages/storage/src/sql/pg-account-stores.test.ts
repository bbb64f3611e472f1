import { runAccountStoresContract } from "../contracts/account-stores-contract.ts";
import { createThrowawayDatabase } from "../contracts/throwaway-database.ts";
import { createAccountXmlStore } from "./account-xml-store.ts";
import { createBlockStore } from "./block-store.ts";
import { createLastActivityStore } from "./last-activity-store.ts";
import { migrate } from "./migrate.ts";
import { createPgClient } from "./pg-client.ts";

runAccountStoresContract("postgres", async () => {
  const db = await createThrowawayDatabase();
  const sql = createPgClient({ url: db.url });
  await migrate(sql, "core");
  return {
    blocks: createBlockStore(sql), xml: createAccountXmlStore(sql), last: createLastActivityStore(sql),
    close: async () => { await sql.close(); await db.drop(); },
  };
});
