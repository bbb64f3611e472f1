// The private tier's Redis stores chosen from the configuration: the real server where
// redis.url is set, otherwise in process (embedded mode, `npm start`).
import type { Config } from "@xmppd/config";
import { createMemorySessionStore, createMemorySmStore, createRedisSessionStore, createRedisSmStore } from "@xmppd/storage";
import type { SessionStore, SmStore } from "@xmppd/storage";

export function openSessions(config: Config): SessionStore {
  return config.redis.url
    ? createRedisSessionStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` })
    : createMemorySessionStore();
}

/** XEP-0198 resumption state beside the sessions (same Redis, same prefix), or in process. */
export function openSm(config: Config): SmStore {
  return config.redis.url
    ? createRedisSmStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` })
    : createMemorySmStore();
}
