export type * from "./types.ts";
export { createRedisSmStore, type RedisSmStoreOptions } from "./redis-sm-store.ts";
export { createMemorySmStore } from "./memory-sm-store.ts";
