// Lua for the Redis SmStore. Keys under a prefix p (ARGV[1]):
//   p.."sm:"..id        hash: jid, gw, conn, state (a attached | d detached | e ending), out (last seq),
//                       acked (client's h, unwrapped), handled (client stanzas handled), bytes
//   p.."sm:"..id..":q"  list of unacknowledged stanzas: index 0 is seq acked+1
//   p.."sm:"..id..":o"  zset once key -> seq of the stanzas appended with one (the last ONCE_KEYS)
//   p.."smgw:"..gw      set of ids attached through a gateway
//   p.."smdue"          zset id -> deadline (detached) or lease (ending)
// Ids are [A-Za-z0-9_-] and gateway ids [a-z0-9_-]: safe in keys as they are.
import { LuaScript } from "../session/lua-script.ts";
import { ONCE_KEYS } from "./types.ts";

const COMMON = String.raw`
local P = ARGV[1]
local function hk(id) return P .. 'sm:' .. id end
local function qk(id) return P .. 'sm:' .. id .. ':q' end
local function ok(id) return P .. 'sm:' .. id .. ':o' end
local function gwk(gw) return P .. 'smgw:' .. gw end
local DUE = P .. 'smdue'
-- Drops the first n queued stanzas and their bytes.
local function trim(id, n)
  if n <= 0 then return end
  local gone = 0
  for _, x in ipairs(redis.call('LRANGE', qk(id), 0, n - 1)) do gone = gone + #x end
  redis.call('LTRIM', qk(id), n, -1)
  redis.call('HINCRBY', hk(id), 'bytes', -gone)
end
local function items(id, first)
  local out = {}
  for i, x in ipairs(redis.call('LRANGE', qk(id), 0, -1)) do out[#out + 1] = tostring(first + i - 1); out[#out + 1] = x end
  return out
end`;

/** ARGV: p, id, jid, gw, conn. */
export const CREATE = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
redis.call('DEL', hk(id), qk(id), ok(id))
redis.call('HSET', hk(id), 'jid', ARGV[3], 'gw', ARGV[4], 'conn', ARGV[5], 'state', 'a', 'out', 0, 'acked', 0, 'handled', 0, 'bytes', 0)
redis.call('SADD', gwk(ARGV[4]), id)
return 1`);

/** ARGV: p, id, jid, gw, conn, handled, acked, xml... (seq acked+1, acked+2, ...).
 * A session as its gateway still holds it, after a data loss (SmStore.restore): 0 when the id exists. */
export const RESTORE = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
if redis.call('HEXISTS', hk(id), 'state') == 1 then return 0 end
redis.call('DEL', hk(id), qk(id), ok(id))
local acked = tonumber(ARGV[7])
local bytes = 0
for i = 8, #ARGV do
  redis.call('RPUSH', qk(id), ARGV[i])
  bytes = bytes + #ARGV[i]
end
redis.call('HSET', hk(id), 'jid', ARGV[3], 'gw', ARGV[4], 'conn', ARGV[5], 'state', 'a', 'out', acked + #ARGV - 7, 'acked', acked, 'handled', ARGV[6], 'bytes', bytes)
redis.call('SADD', gwk(ARGV[4]), id)
return 1`);

/** ARGV: p, id, xml, max stanzas, max bytes, once key ('' for none).
 * Returns {seq, repeated (0|1), gw?, conn?} or {0} gone or {-1} full. */
export const APPEND = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
local st = redis.call('HMGET', hk(id), 'state', 'bytes', 'gw', 'conn')
if not st[1] or st[1] == 'e' then return {0} end
local seq = false
local repeated = 0
if ARGV[6] ~= '' then seq = redis.call('ZSCORE', ok(id), ARGV[6]) end
if seq then
  seq, repeated = tonumber(seq), 1
else
  if redis.call('LLEN', qk(id)) >= tonumber(ARGV[4]) or tonumber(st[2]) + #ARGV[3] > tonumber(ARGV[5]) then return {-1} end
  seq = redis.call('HINCRBY', hk(id), 'out', 1)
  redis.call('RPUSH', qk(id), ARGV[3])
  redis.call('HINCRBY', hk(id), 'bytes', #ARGV[3])
  if ARGV[6] ~= '' then
    redis.call('ZADD', ok(id), seq, ARGV[6])
    redis.call('ZREMRANGEBYRANK', ok(id), 0, -${ONCE_KEYS + 1})
  end
end
if st[1] == 'a' then return {seq, repeated, st[3], st[4]} end
return {seq, repeated}`);

/** ARGV: p, id, after. Returns {seq, xml, ...} queued after `after`; nothing for an ending session. */
export const UNACKED = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
local st = redis.call('HMGET', hk(id), 'state', 'acked')
if not st[1] or st[1] == 'e' then return {} end
local first = math.max(tonumber(st[2]) + 1, tonumber(ARGV[3]) + 1)
local out = {}
for i, x in ipairs(redis.call('LRANGE', qk(id), first - tonumber(st[2]) - 1, -1)) do out[#out + 1] = tostring(first + i - 1); out[#out + 1] = x end
return out`);

/** ARGV: p, id, upTo (unwrapped). */
export const ACK = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
local st = redis.call('HMGET', hk(id), 'acked', 'out')
if not st[1] then return 0 end
local upTo = math.min(tonumber(ARGV[3]), tonumber(st[2]))
trim(id, upTo - tonumber(st[1]))
if upTo > tonumber(st[1]) then redis.call('HSET', hk(id), 'acked', upTo) end
return 1`);

/** ARGV: p, id, handled. Only for a session that still exists. */
export const HANDLED = new LuaScript(String.raw`${COMMON}
if redis.call('EXISTS', hk(ARGV[2])) == 1 then redis.call('HSET', hk(ARGV[2]), 'handled', ARGV[3]) end
return 1`);

/** ARGV: p, id, bare, h (mod 2^32), gw, conn.
 * Returns {0} unknown, {-1, handled} too high, or {1, jid, handled, acked, prevGw, prevConn, seq, xml, seq, xml...}. */
export const RESUME = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
local st = redis.call('HMGET', hk(id), 'state', 'jid', 'acked', 'out', 'handled', 'gw', 'conn')
if not st[1] or st[1] == 'e' then return {0} end
if string.sub(st[2], 1, #ARGV[3] + 1) ~= ARGV[3] .. '/' then return {0} end
local acked, out = tonumber(st[3]), tonumber(st[4])
local M = 4294967296
local upTo = acked + ((tonumber(ARGV[4]) - (acked % M) + M) % M)
if upTo > out then return {-1, st[5]} end
trim(id, upTo - acked)
local prevGw, prevConn = '', ''
if st[1] == 'a' then prevGw, prevConn = st[6], st[7] end
redis.call('SREM', gwk(st[6]), id)
redis.call('SADD', gwk(ARGV[5]), id)
redis.call('ZREM', DUE, id)
redis.call('HSET', hk(id), 'acked', upTo, 'gw', ARGV[5], 'conn', ARGV[6], 'state', 'a')
local r = {1, st[2], st[5], tostring(upTo), prevGw, prevConn}
for _, v in ipairs(items(id, upTo + 1)) do r[#r + 1] = v end
return r`);

/** ARGV: p, id, conn, deadline. */
export const DETACH = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
local st = redis.call('HMGET', hk(id), 'state', 'conn', 'gw')
if st[1] ~= 'a' or st[2] ~= ARGV[3] then return 0 end
redis.call('HSET', hk(id), 'state', 'd')
redis.call('SREM', gwk(st[3]), id)
redis.call('ZADD', DUE, ARGV[4], id)
return 1`);

/** ARGV: p, gw, deadline, session-store key prefix. Detached sessions leave the gateway's session
 * set of the SessionStore too (see session/redis-keys.ts), so that removing the gateway's
 * sessions keeps them bound while they wait for resumption. */
export const DETACH_GATEWAY = new LuaScript(String.raw`${COMMON}
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', gwk(ARGV[2]))) do
  local st = redis.call('HMGET', hk(id), 'state', 'gw', 'jid')
  if st[1] == 'a' and st[2] == ARGV[2] then
    redis.call('HSET', hk(id), 'state', 'd')
    redis.call('ZADD', DUE, ARGV[3], id)
    redis.call('SREM', ARGV[4], st[3])
    out[#out + 1] = id
  end
end
redis.call('DEL', gwk(ARGV[2]))
return out`);

/** ARGV: p, id, conn ('' for a detached or ending session), lease. Returns {jid, conn, acked, seq, xml...} or false. */
export const END = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
local st = redis.call('HMGET', hk(id), 'state', 'conn', 'gw', 'jid', 'acked')
if not st[1] then return false end
if ARGV[3] ~= '' and (st[1] ~= 'a' or st[2] ~= ARGV[3]) then return false end
if ARGV[3] == '' and st[1] == 'a' then return false end
redis.call('HSET', hk(id), 'state', 'e')
redis.call('SREM', gwk(st[3]), id)
redis.call('ZADD', DUE, ARGV[4], id)
local r = {st[4], st[2], st[5]}
for _, v in ipairs(items(id, tonumber(st[5]) + 1)) do r[#r + 1] = v end
return r`);

/** ARGV: p, now, lease, limit. */
export const CLAIM_DUE = new LuaScript(String.raw`${COMMON}
local ids = redis.call('ZRANGEBYSCORE', DUE, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do redis.call('ZADD', DUE, ARGV[3], id) end
return ids`);

/** ARGV: p, id. */
export const REMOVE = new LuaScript(String.raw`${COMMON}
local id = ARGV[2]
local gw = redis.call('HGET', hk(id), 'gw')
if gw then redis.call('SREM', gwk(gw), id) end
redis.call('DEL', hk(id), qk(id), ok(id))
redis.call('ZREM', DUE, id)
return 1`);
