// Test-only entry point (@xmppd/storage/contracts): it imports vitest, so production code
// must not load it through the package's main entry.
export { runSessionStoreContract, type SessionStoreFixture } from "./session-store-contract.ts";
export { runUserStoreContract, type UserStoreFixture } from "./user-store-contract.ts";
export { runOfflineStoreContract, type OfflineStoreFixture } from "./offline-store-contract.ts";
export { runRosterStoreContract, rosterItem, type RosterStoreFixture } from "./roster-store-contract.ts";
export { runSqlClientContract, type SqlDatabaseFixture } from "./sql-client-contract.ts";
export { createThrowawayDatabase, type ThrowawayDatabase } from "./throwaway-database.ts";
export { runAmpStoreContract, type AmpStoreFixture } from "./amp-store-contract.ts";
export { runAccountStoresContract, type AccountStoresFixture } from "./account-stores-contract.ts";
export { runSmStoreContract } from "./sm-store-contract.ts";
export { runAuthThrottleContract, throttleLimits } from "./auth-throttle-contract.ts";
