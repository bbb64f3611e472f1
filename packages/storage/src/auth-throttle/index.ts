export { createMemoryAuthThrottle } from "./memory-auth-throttle.ts";
export { createRedisAuthThrottle, type RedisAuthThrottleOptions } from "./redis-auth-throttle.ts";
export type { AuthFailure, AuthThrottleLimits, AuthThrottleStore } from "./types.ts";
