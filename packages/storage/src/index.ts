export type * from "./types.ts";
export { createRedisSessionStore, type RedisSessionStoreOptions } from "./session/redis-session-store.ts";
export { createMemorySessionStore } from "./session/memory-session-store.ts";
export { createPgClient, type PgClientOptions } from "./sql/pg-client.ts";
export { createPgliteClient, type PgliteClientOptions } from "./sql/pglite-client.ts";
export { migrate, loadMigrations, type Migration, type MigrationSet } from "./sql/migrate.ts";
export { createUserStore, UserExistsError } from "./sql/user-store.ts";
export { createOfflineStore } from "./sql/offline-store.ts";
export { createRosterStore, type RosterStoreOptions } from "./sql/roster-store.ts";
