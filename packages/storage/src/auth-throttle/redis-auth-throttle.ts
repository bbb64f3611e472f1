// The AuthThrottleStore on Redis, under the session store's key prefix p:
//   p + "authfail:ip:<address>"             failures of an address (ban window)
//   p + "authban:<address>"                 a banned address, expiring with the ban
//   p + "authfail:acct:<h>"                 failures of an account from all addresses
//   p + "authfail:pair:<h>:<address>"       failures of one address on one account
//   p + "authok:<h>"                        addresses that logged in to the account
// <h> is a hash of the account's bare JID: no JID in a key, and keys of bounded length.
import { createHash } from "node:crypto";
import { openRedis, type RedisErrorSink } from "../redis-client.ts";
import { escapeKeyPart } from "../session/key-escape.ts";
import { AUTH_BANNED, AUTH_CAPPED, AUTH_FAILED, AUTH_SUCCEEDED } from "./redis-auth-throttle-scripts.ts";
import { pairDelay, type AuthThrottleLimits, type AuthThrottleStore } from "./types.ts";

export interface RedisAuthThrottleOptions {
  url: string;
  keyPrefix: string;
  limits: AuthThrottleLimits;
  /** Connection errors (redis-client.ts). */
  onError?: RedisErrorSink;
}

const accountHash = (account: string) => createHash("sha256").update(account).digest("hex").slice(0, 32);

export function authThrottleKeys(p: string) {
  return {
    address: (ip: string) => `${p}authfail:ip:${escapeKeyPart(ip)}`,
    ban: (ip: string) => `${p}authban:${escapeKeyPart(ip)}`,
    account: (account: string) => `${p}authfail:acct:${accountHash(account)}`,
    pair: (ip: string, account: string) => `${p}authfail:pair:${accountHash(account)}:${escapeKeyPart(ip)}`,
    known: (account: string) => `${p}authok:${accountHash(account)}`,
  };
}

export function createRedisAuthThrottle(opts: RedisAuthThrottleOptions): AuthThrottleStore {
  const redis = openRedis(opts.url, {}, opts.onError);
  const keys = authThrottleKeys(opts.keyPrefix);
  const { ban, throttle } = opts.limits;
  return {
    async bannedFor(ip) {
      if (ban.maxFailures === 0) return 0;
      return Number(await AUTH_BANNED.run(redis, [keys.ban(ip)], []));
    },
    async cappedFor(ip, account) {
      if (throttle.accountMaxFailures === 0 || throttle.accountWindowSeconds === 0) return 0;
      return Number(await AUTH_CAPPED.run(redis, [keys.account(account), keys.known(account)], [throttle.accountMaxFailures, ip]));
    },
    async failed(ip, account) {
      const window = account === null ? 0 : throttle.accountWindowSeconds;
      const [pair, banned] = (await AUTH_FAILED.run(
        redis,
        [keys.address(ip), keys.ban(ip), keys.pair(ip, account ?? ""), keys.account(account ?? "")],
        [ban.maxFailures, ban.windowSeconds, ban.banSeconds, window],
      )) as [number, number];
      return { delayMs: pairDelay(pair, throttle), banned: banned === 1 };
    },
    async succeeded(ip, account) {
      await AUTH_SUCCEEDED.run(redis, [keys.known(account), keys.pair(ip, account)], [ip, throttle.knownAddressDays * 86_400]);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
