// Every ioredis client of the stores: with an 'error' listener always, since without one ioredis
// prints "[ioredis] Unhandled error event" to stderr, outside the JSON logs, at every failed
// reconnect. The caller decides what to do with the error (a rate-limited log line); commands
// fail or wait on their own, and readiness probes say whether Redis is up.
import { Redis, type RedisOptions } from "ioredis";

/** Where a client's connection errors go (@xmppd/observability connectionErrorLogger). */
export type RedisErrorSink = (err: Error) => void;

export function openRedis(url: string, options: RedisOptions = {}, onError: RedisErrorSink = () => {}): Redis {
  const redis = new Redis(url, options);
  redis.on("error", onError);
  return redis;
}
