// The throttle's Redis scripts: each attempt's counting is one atomic script. Keys are passed in
// KEYS (built by redis-auth-throttle.ts under the session store's prefix).
import { LuaScript } from "../session/lua-script.ts";

/**
 * KEYS: address count, address ban, pair count, account count.
 * ARGV: ban max, ban window s, ban s, account window s (0: no account), free failures, base ms, max ms.
 * Returns { pair failures, banned now (0/1) }. Failures of an address already banned (attempts in
 * flight when the ban began) count on, but do not ban again: one ban, one count in the metrics.
 */
export const AUTH_FAILED = new LuaScript(String.raw`
local banned = 0
local banMax = tonumber(ARGV[1])
if banMax > 0 then
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
  if n >= banMax and redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
    redis.call('DEL', KEYS[1])
    banned = 1
  end
end
local pair = 0
if tonumber(ARGV[4]) > 0 then
  pair = redis.call('INCR', KEYS[3])
  if pair == 1 then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
  if redis.call('INCR', KEYS[4]) == 1 then redis.call('EXPIRE', KEYS[4], ARGV[4]) end
end
return { pair, banned }
`);

/** KEYS: address ban. Returns its seconds left, 0 when there is none. */
export const AUTH_BANNED = new LuaScript(String.raw`
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then return 0 end
return ttl
`);

/**
 * KEYS: account count, the account's known addresses. ARGV: the cap, the address.
 * Returns the seconds until the account's window ends when it is over the cap for this address.
 */
export const AUTH_CAPPED = new LuaScript(String.raw`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n < tonumber(ARGV[1]) then return 0 end
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 0 end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 1 then return 1 end
return ttl
`);

/** KEYS: the account's known addresses, pair count. ARGV: the address, known-address lifetime s. */
export const AUTH_SUCCEEDED = new LuaScript(String.raw`
redis.call('DEL', KEYS[2])
if tonumber(ARGV[2]) > 0 then
  redis.call('SADD', KEYS[1], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
`);
