// The storage contracts of each service, run connected as that service's own role: whatever the
// router or the AMP worker does with Postgres works under exactly the grants of SERVICE_GRANTS.
import { afterAll } from "vitest";
import { runAccountStoresContract } from "../contracts/account-stores-contract.ts";
import { runAmpStoreContract } from "../contracts/amp-store-contract.ts";
import { runOfflineStoreContract } from "../contracts/offline-store-contract.ts";
import { runRosterStoreContract } from "../contracts/roster-store-contract.ts";
import { runUserStoreContract } from "../contracts/user-store-contract.ts";
import { createAccountXmlStore } from "../sql/account-xml-store.ts";
import { createAmpStore } from "../sql/amp-store.ts";
import { createBlockStore } from "../sql/block-store.ts";
import { createLastActivityStore } from "../sql/last-activity-store.ts";
import { createOfflineStore } from "../sql/offline-store.ts";
import { createRosterStore } from "../sql/roster-store.ts";
import { createUserStore } from "../sql/user-store.ts";
import { grantedDatabase, type GrantedDatabase } from "./test-roles.ts";

// One database and one pair of roles for the file; each suite's close() leaves them to afterAll.
let shared: Promise<GrantedDatabase> | undefined;
const db = () => (shared ??= grantedDatabase());
afterAll(async () => (await shared)?.drop());
const keep = async () => {};

runUserStoreContract("postgres as the router's role", async () => ({ store: createUserStore((await db()).as("router")), close: keep }));
runRosterStoreContract("postgres as the router's role", async () => {
  const sql = (await db()).as("router");
  return { open: (opts) => createRosterStore(sql, opts), close: keep };
});
runAccountStoresContract("postgres as the router's role", async () => {
  const sql = (await db()).as("router");
  return { blocks: createBlockStore(sql), xml: createAccountXmlStore(sql), last: createLastActivityStore(sql), close: keep };
});
runOfflineStoreContract("postgres as the AMP worker's role", async () => ({ store: createOfflineStore((await db()).as("ampWorker")), close: keep }));
runAmpStoreContract("postgres as the AMP worker's role", async () => {
  const sql = (await db()).as("ampWorker");
  return { amp: createAmpStore(sql), offline: createOfflineStore(sql), close: keep };
});
