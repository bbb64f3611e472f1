// The private tier's Redis stores chosen from the configuration: the real server where
// redis.url is set, otherwise in process (embedded mode, `npm start`).
import type { Config } from "@xmppd/config";
import { createMemoryAuthThrottle, createMemorySessionStore, createMemorySmStore, createRedisAuthThrottle, createRedisSessionStore, createRedisSmStore } from "@xmppd/storage";
import type { AuthThrottleStore, RedisErrorSink, SessionStore, SmStore } from "@xmppd/storage";

/** `onError`: the Redis client's connection errors (a rate-limited log line; redis-client.ts). */
export function openSessions(config: Config, onError?: RedisErrorSink): SessionStore {
  return config.redis.url
    ? createRedisSessionStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:`, onError })
    : createMemorySessionStore();
}

/** XEP-0198 resumption state beside the sessions (same Redis, same prefix), or in process. */
export function openSm(config: Config, onError?: RedisErrorSink): SmStore {
  return config.redis.url
    ? createRedisSmStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:`, onError })
    : createMemorySmStore();
}

/** The routers' cluster-wide authentication throttle (same Redis, same prefix), or in process. */
export function openAuthThrottle(config: Config, onError?: RedisErrorSink): AuthThrottleStore {
  return config.redis.url
    ? createRedisAuthThrottle({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:`, limits: config.auth, onError })
    : createMemoryAuthThrottle(config.auth);
}
