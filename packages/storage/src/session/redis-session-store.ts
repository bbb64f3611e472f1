import { openRedis, type RedisErrorSink } from "../redis-client.ts";
import type { BindResult, SessionAnnotations, SessionRecord, SessionStore } from "../types.ts";
import { decodeHash, decodeRecord, encodeRecord, splitFullJid } from "./record.ts";
import { redisKeys } from "./redis-keys.ts";
import { checkDelta, NOTHING_STORED_TTL_MS, QUEUED_TTL_MS } from "./queued.ts";
import { readAccounts } from "./redis-lookup.ts";
import { encodeBlocklist } from "./blocklist-cache.ts";
import { ADD_QUEUED, ANNOTATE, CACHE_BLOCKLIST, BIND, DEAD_GATEWAYS, EPOCH, LIST_GATEWAY, RESTORE, REMOVE_GATEWAY_BATCH, SET_PRESENCE, UNBIND } from "./redis-scripts.ts";
import { countSessions, listSessions } from "./redis-scan.ts";

export interface RedisSessionStoreOptions {
  url: string;
  /** Prepended to every key, e.g. "xmpp:". */
  keyPrefix: string;
  /** Connection errors (redis-client.ts). */
  onError?: RedisErrorSink;
}

/** Sessions removed per script call in removeGateway, so one dead gateway never blocks Redis long. */
const REMOVE_BATCH = 500;

export function createRedisSessionStore(opts: RedisSessionStoreOptions): SessionStore {
  // Commands issued in the same tick (many connections' lookups under load) go out in one write.
  const redis = openRedis(opts.url, { enableAutoPipelining: true }, opts.onError);
  const p = opts.keyPrefix;
  const keys = redisKeys(p);

  async function bind(rec: SessionRecord, maxResources: number): Promise<BindResult> {
    const { bare, resource } = splitFullJid(rec.jid);
    const reply = (await BIND.run(
      redis,
      [keys.sess(bare), keys.gwSessions(rec.gateway), keys.gateways],
      [p, resource, encodeRecord(rec), maxResources, rec.jid, rec.gateway],
    )) as [number, string?];
    if (reply[0] === 0) return { ok: false, reason: "resource-limit" };
    return reply[1] === undefined ? { ok: true } : { ok: true, replaced: decodeRecord(reply[1]) };
  }

  async function unbind(jid: string, conn: string): Promise<SessionRecord | null> {
    const { bare, resource } = splitFullJid(jid);
    const old = (await UNBIND.run(redis, [keys.sess(bare), keys.gateways], [p, resource, conn, jid])) as string | null;
    return old === null ? null : decodeRecord(old);
  }

  async function getMany(bareJids: string[]): Promise<Map<string, SessionRecord[]>> {
    const found = await readAccounts(redis, keys, bareJids, [], false);
    return new Map([...found].map(([bare, state]) => [bare, state.sessions]));
  }

  async function addQueued(bare: string, delta: number): Promise<number> {
    return Number(await ADD_QUEUED.run(redis, [keys.queued(bare)], [checkDelta(delta), QUEUED_TTL_MS]));
  }

  async function setPresence(jid: string, conn: string, pr: { available: boolean; priority: number; presence?: string }) {
    const { bare, resource } = splitFullJid(jid);
    const hasPresence = pr.presence !== undefined;
    const args = [p, resource, conn, pr.available ? "1" : "0", pr.priority, hasPresence ? "1" : "0", pr.presence ?? ""];
    return (await SET_PRESENCE.run(redis, [keys.sess(bare)], args)) === 1;
  }

  async function annotate(jid: string, conn: string, a: SessionAnnotations) {
    const { bare, resource } = splitFullJid(jid);
    const flag = (v: boolean | undefined) => (v === undefined ? "" : v ? "1" : "0");
    const args = [p, resource, conn, flag(a.interested), a.directed === undefined ? "" : JSON.stringify(a.directed), flag(a.blocklist), flag(a.carbons), bare, flag(a.flexOffline)];
    return (await ANNOTATE.run(redis, [keys.sess(bare)], args)) === 1;
  }

  async function removeGateway(gateway: string): Promise<SessionRecord[]> {
    const removed: SessionRecord[] = [];
    for (;;) {
      const [remaining, ...recs] = (await REMOVE_GATEWAY_BATCH.run(
        redis, [keys.gwSessions(gateway), keys.gateways], [p, gateway, REMOVE_BATCH],
      )) as [number, ...string[]];
      removed.push(...recs.map(decodeRecord));
      if (remaining === 0) return removed;
    }
  }

  async function restore(rec: SessionRecord): Promise<"restored" | "present" | "taken"> {
    const { bare, resource } = splitFullJid(rec.jid);
    const { carbons: _carbons, ...rest } = rec;
    const r = Number(await RESTORE.run(redis, [keys.sess(bare), keys.gwSessions(rec.gateway), keys.gateways], [p, resource, encodeRecord(rest), rec.jid, rec.gateway, rec.conn]));
    return r === 1 ? "restored" : r === 2 ? "present" : "taken";
  }

  return {
    bind,
    restore,
    epoch: async (candidate) => String(await EPOCH.run(redis, [keys.epoch], [candidate])),
    unbind,
    get: async (bare) => decodeHash(await redis.hgetall(keys.sess(bare))),
    getMany,
    lookup: (bareJids, blocklistsOnly = []) => readAccounts(redis, keys, bareJids, blocklistsOnly, true),
    cacheBlocklist: async (bare, list, ttlMs) => {
      await CACHE_BLOCKLIST.run(redis, [keys.block(bare)], [list.version, encodeBlocklist(list), Math.max(1, Math.ceil(ttlMs))]);
    },
    addQueued,
    setPresence,
    annotate,
    nothingStored: async (bare) => (await redis.exists(keys.empty(bare))) === 1,
    markNothingStored: async (bare) => {
      await redis.set(keys.empty(bare), "1", "PX", NOTHING_STORED_TTL_MS);
    },
    clearNothingStored: async (bares) => {
      // One key per command: each account's key lives in its own cluster slot.
      await Promise.all(bares.map((b) => redis.del(keys.empty(b))));
    },
    listGateway: async (gateway) =>
      ((await LIST_GATEWAY.run(redis, [keys.gwSessions(gateway)], [p, gateway])) as string[]).map(decodeRecord),
    removeGateway,
    heartbeat: async (gateway, ttlMs) => {
      await redis.set(keys.gwAlive(gateway), "1", "PX", Math.max(1, Math.ceil(ttlMs)));
    },
    deadGateways: async () => (await DEAD_GATEWAYS.run(redis, [keys.gateways], [p])) as string[],
    list: (limit) => listSessions(redis, keys.sessPrefix, limit),
    count: () => countSessions(redis, keys.sessPrefix),
    close: async () => {
      if (redis.status !== "end") await redis.quit();
    },
  };
}
