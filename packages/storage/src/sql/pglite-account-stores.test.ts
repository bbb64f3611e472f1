import { runAccountStoresContract } from "../contracts/account-stores-contract.ts";
import { createAccountXmlStore } from "./account-xml-store.ts";
import { createBlockStore } from "./block-store.ts";
import { createLastActivityStore } from "./last-activity-store.ts";
import { migrate } from "./migrate.ts";
import { createPgliteClient } from "./pglite-client.ts";

runAccountStoresContract("pglite", async () => {
  const sql = createPgliteClient();
  await migrate(sql, "core");
  return { blocks: createBlockStore(sql), xml: createAccountXmlStore(sql), last: createLastActivityStore(sql), close: () => sql.close() };
});
