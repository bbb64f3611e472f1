import { escapeKeyPart, LUA_ESCAPE } from "./key-escape.ts";

/**
 * Key layout under a prefix p:
 *   p + "sess:{<bare>}"        hash resource -> JSON SessionRecord (braces: one user, one slot)
 *   p + "gw:<gateway>:sess"    set of full JIDs bound through that gateway (cleanup)
 *   p + "gw:<gateway>:alive"   heartbeat, expires after the gateway's TTL
 *   p + "gateways"             set of gateways that own sessions
 *   p + "queued:{<bare>}"      messages on the offline path not yet settled (SessionStore.addQueued)
 *   p + "empty:{<bare>}"       no offline row is stored for the account (SessionStore.nothingStored)
 *   p + "carbons:{<bare>}"     resources of the account with XEP-0280 carbons enabled (kept by the scripts)
 *   p + "block:{<bare>}"       cached XEP-0191 block list: "<version>\n<jid>\n..." (SessionStore.cacheBlocklist)
 *   p + "epoch"                the data set's epoch marker (SessionStore.epoch, docs/redis-loss.md)
 * <bare> and <gateway> are escaped with escapeKeyPart.
 */
export function redisKeys(prefix: string) {
  return {
    sess: (bare: string) => `${prefix}sess:{${escapeKeyPart(bare)}}`,
    gwSessions: (gateway: string) => `${prefix}gw:${escapeKeyPart(gateway)}:sess`,
    gwAlive: (gateway: string) => `${prefix}gw:${escapeKeyPart(gateway)}:alive`,
    gateways: `${prefix}gateways`,
    epoch: `${prefix}epoch`,
    queued: (bare: string) => `${prefix}queued:{${escapeKeyPart(bare)}}`,
    block: (bare: string) => `${prefix}block:{${escapeKeyPart(bare)}}`,
    carbons: (bare: string) => `${prefix}carbons:{${escapeKeyPart(bare)}}`,
    empty: (bare: string) => `${prefix}empty:{${escapeKeyPart(bare)}}`,
    /** Literal prefix shared by every session hash (for SCAN). */
    sessPrefix: `${prefix}sess:`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** The same layout for scripts; every script receives the prefix as ARGV[1]. */
export const LUA_KEYS = String.raw`
local P = ARGV[1]
${LUA_ESCAPE}
local function sessKey(bare) return P .. 'sess:{' .. esc(bare) .. '}' end
local function gwSessKey(gw) return P .. 'gw:' .. esc(gw) .. ':sess' end
local function gwAliveKey(gw) return P .. 'gw:' .. esc(gw) .. ':alive' end
local function carbonsKey(bare) return P .. 'carbons:{' .. esc(bare) .. '}' end
-- A session with carbons enabled ends or disables them: the account's count goes down.
local function carbonsOff(bare)
  if redis.call('DECR', carbonsKey(bare)) <= 0 then redis.call('DEL', carbonsKey(bare)) end
end
-- Drops a gateway from the registry once it owns no sessions.
local function forgetIfEmpty(gw, gatewaysKey)
  if redis.call('SCARD', gwSessKey(gw)) == 0 then redis.call('SREM', gatewaysKey, gw) end
end`;
