import { LuaScript } from "./lua-script.ts";
import { LUA_KEYS } from "./redis-keys.ts";

// Every script takes the key prefix as ARGV[1] (see LUA_KEYS). Scripts touch keys derived
// from stored records (a previous gateway's set), so they need standalone Redis or Sentinel,
// not Redis Cluster.

/** KEYS: sess hash, new gateway's set, gateways. ARGV: p, resource, record, max, full JID, gateway.
 * Returns {0} on resource limit, {1} when bound, {1, oldRecord} when it replaced one. */
export const BIND = new LuaScript(String.raw`${LUA_KEYS}
local old = redis.call('HGET', KEYS[1], ARGV[2])
local others = redis.call('HLEN', KEYS[1])
if old then others = others - 1 end
if others >= tonumber(ARGV[4]) then return {0} end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[6])
if not old then return {1} end
local o = cjson.decode(old)
if o.carbons then carbonsOff(string.match(ARGV[5], '^([^/]*)/')) end
local prev = o.gateway
if prev ~= ARGV[6] then
  redis.call('SREM', gwSessKey(prev), ARGV[5])
  forgetIfEmpty(prev, KEYS[3])
end
return {1, old}`);

/** KEYS: sess hash, gateway's set, gateways. ARGV: p, resource, record, full JID, gateway, conn.
 * Re-registration after a data loss (SessionStore.restore): 1 written, 2 already held by that gateway's conn, 0 held by another. */
export const RESTORE = new LuaScript(String.raw`${LUA_KEYS}
local old = redis.call('HGET', KEYS[1], ARGV[2])
if old then
  local o = cjson.decode(old)
  if o.conn == ARGV[6] and o.gateway == ARGV[5] then return 2 end
  return 0
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
return 1`);

/** KEYS: epoch. ARGV: candidate. The stored epoch marker, set to the candidate when there is none. */
export const EPOCH = new LuaScript(String.raw`
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`);

/** KEYS: sess hash, gateways. ARGV: p, resource, conn, full JID. Returns the removed record or nil. */
export const UNBIND = new LuaScript(String.raw`${LUA_KEYS}
local old = redis.call('HGET', KEYS[1], ARGV[2])
if not old then return false end
local rec = cjson.decode(old)
if rec.conn ~= ARGV[3] then return false end
if rec.carbons then carbonsOff(string.match(ARGV[4], '^([^/]*)/')) end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('SREM', gwSessKey(rec.gateway), ARGV[4])
forgetIfEmpty(rec.gateway, KEYS[2])
return old`);

/** KEYS: sess hash. ARGV: p, resource, conn, available 1|0, priority, has presence 1|0, presence. */
export const SET_PRESENCE = new LuaScript(String.raw`${LUA_KEYS}
local old = redis.call('HGET', KEYS[1], ARGV[2])
if not old then return 0 end
local rec = cjson.decode(old)
if rec.conn ~= ARGV[3] then return 0 end
rec.available = ARGV[4] == '1'
rec.priority = tonumber(ARGV[5])
if ARGV[6] == '1' then rec.presence = ARGV[7] else rec.presence = nil end
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(rec))
return 1`);

/** KEYS: sess hash. ARGV: p, resource, conn, interested 1|0|'' (unchanged), directed JSON array|'' (unchanged),
 * blocklist 1|0|'', carbons 1|0|'', bare JID, flexOffline 1|0|''. */
export const ANNOTATE = new LuaScript(String.raw`${LUA_KEYS}
local old = redis.call('HGET', KEYS[1], ARGV[2])
if not old then return 0 end
local rec = cjson.decode(old)
if rec.conn ~= ARGV[3] then return 0 end
if ARGV[4] == '1' then rec.interested = true elseif ARGV[4] == '0' then rec.interested = nil end
if ARGV[5] ~= '' then
  local d = cjson.decode(ARGV[5])
  if #d == 0 then rec.directed = nil else rec.directed = d end
end
if ARGV[6] == '1' then rec.blocklist = true elseif ARGV[6] == '0' then rec.blocklist = nil end
local had = rec.carbons == true
if ARGV[7] == '1' then rec.carbons = true elseif ARGV[7] == '0' then rec.carbons = nil end
if rec.carbons and not had then redis.call('INCR', carbonsKey(ARGV[8])) end
if had and not rec.carbons then carbonsOff(ARGV[8]) end
if ARGV[9] == '1' then rec.flexOffline = true elseif ARGV[9] == '0' then rec.flexOffline = nil end
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(rec))
return 1`);

/** KEYS: gateway's set, gateways. ARGV: p, gateway, batch size.
 * SPOPs one batch, so concurrent callers each get a disjoint share and every record is returned
 * exactly once. Returns {remaining, record...}. */
export const REMOVE_GATEWAY_BATCH = new LuaScript(String.raw`${LUA_KEYS}
local out = {0}
for _, jid in ipairs(redis.call('SPOP', KEYS[1], tonumber(ARGV[3]))) do
  local bare, res = string.match(jid, '^([^/]*)/(.*)$')
  if bare then
    local k = sessKey(bare)
    local cur = redis.call('HGET', k, res)
    local rec = cur and cjson.decode(cur)
    if rec and rec.gateway == ARGV[2] then
      redis.call('HDEL', k, res)
      if rec.carbons then carbonsOff(bare) end
      out[#out + 1] = cur
    end
  end
end
out[1] = redis.call('SCARD', KEYS[1])
if out[1] == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return out`);

/** KEYS: gateway's set. ARGV: p, gateway. Returns the records still bound through it. */
export const LIST_GATEWAY = new LuaScript(String.raw`${LUA_KEYS}
local out = {}
for _, jid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local bare, res = string.match(jid, '^([^/]*)/(.*)$')
  local cur = bare and redis.call('HGET', sessKey(bare), res)
  if cur and cjson.decode(cur).gateway == ARGV[2] then out[#out + 1] = cur end
end
return out`);

/** KEYS: gateways. ARGV: p. Returns gateways whose alive key is missing. */
export const DEAD_GATEWAYS = new LuaScript(String.raw`${LUA_KEYS}
local dead = {}
for _, gw in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', gwAliveKey(gw)) == 0 then dead[#dead + 1] = gw end
end
return dead`);

/** KEYS: queued counter. ARGV: delta, ttl ms. INCRBY clamped at 0: at 0 the key is deleted,
 * otherwise its expiry is renewed. Returns the new count. */
export const ADD_QUEUED = new LuaScript(String.raw`
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n`);

/** KEYS: cached block list. ARGV: version, encoded list, ttl ms. Replaces the copy only with a
 * newer version (a loader holding an old read never overwrites a write-through). Returns 1 if set. */
export const CACHE_BLOCKLIST = new LuaScript(String.raw`
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^(%d+)'))
  if v and v >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`);
