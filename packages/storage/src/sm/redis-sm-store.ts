// The SmStore on Redis: one script per operation, so every step is atomic and one round trip;
// the handled counts of many sessions go in one pipeline.
import { openRedis, type RedisErrorSink } from "../redis-client.ts";
import { redisKeys } from "../session/redis-keys.ts";
import { ACK, APPEND, CLAIM_DUE, CREATE, DETACH, DETACH_GATEWAY, END, HANDLED, REMOVE, RESTORE, RESUME, UNACKED } from "./redis-sm-scripts.ts";
import { checkRestore, type SmQueued, type SmStore } from "./types.ts";

export interface RedisSmStoreOptions {
  url: string;
  /** The same prefix as the session store's (detaching a dead gateway's sessions touches its keys). */
  keyPrefix: string;
  /** Connection errors (redis-client.ts). */
  onError?: RedisErrorSink;
}

export function createRedisSmStore(opts: RedisSmStoreOptions): SmStore {
  const redis = openRedis(opts.url, {}, opts.onError);
  const p = opts.keyPrefix;
  const keys = redisKeys(p);

  return {
    async create(s) {
      await CREATE.run(redis, [], [p, s.id, s.jid, s.gateway, s.conn]);
    },
    async append(id, xml, limits, once) {
      const r = (await APPEND.run(redis, [], [p, id, xml, limits.maxStanzas, limits.maxBytes, once ?? ""])) as [number, number?, string?, string?];
      if (r[0] === 0) return { ok: false, reason: "gone" };
      if (r[0] === -1) return { ok: false, reason: "full" };
      return {
        ok: true, seq: r[0],
        ...(r[2] === undefined ? {} : { to: { gateway: r[2], conn: r[3]! } }),
        ...(r[1] === 1 ? { repeated: true as const } : {}),
      };
    },
    async ack(id, upTo) {
      await ACK.run(redis, [], [p, id, upTo]);
    },
    async handled(counts) {
      if (counts.size === 0) return;
      const pipe = redis.pipeline();
      for (const [id, h] of counts) pipe.evalsha(HANDLED.sha, 0, p, id, h);
      const results = (await pipe.exec()) ?? [];
      // A fresh Redis has not cached the script yet: run the ones that missed it with EVAL.
      const missed = [...counts].filter((_, i) => results[i]?.[0]);
      for (const [id, h] of missed) await HANDLED.run(redis, [], [p, id, h]);
    },
    async resume(id, bare, h, to) {
      const r = (await RESUME.run(redis, [], [p, id, bare, h, to.gateway, to.conn])) as (number | string)[];
      if (r[0] === 0) return { ok: false, reason: "unknown" };
      if (r[0] === -1) return { ok: false, reason: "too-high", handled: Number(r[1]) };
      const [, jid, handled, acked, prevGw, prevConn, ...rest] = r as string[];
      return {
        ok: true, jid: jid!, handled: Number(handled), acked: Number(acked), items: pairs(rest),
        ...(prevGw ? { previous: { gateway: prevGw, conn: prevConn! } } : {}),
      };
    },
    async unacked(id, after) {
      return pairs((await UNACKED.run(redis, [], [p, id, after])) as string[]);
    },
    async detach(id, conn, deadline) {
      return (await DETACH.run(redis, [], [p, id, conn, deadline])) === 1;
    },
    async detachGateway(gateway, deadline) {
      return (await DETACH_GATEWAY.run(redis, [], [p, gateway, deadline, keys.gwSessions(gateway)])) as string[];
    },
    async end(id, conn, leaseUntil) {
      const r = (await END.run(redis, [], [p, id, conn ?? "", leaseUntil])) as string[] | null;
      if (!r) return null;
      return { jid: r[0]!, conn: r[1]!, items: pairs(r.slice(3)) };
    },
    async claimDue(now, leaseUntil, limit) {
      return (await CLAIM_DUE.run(redis, [], [p, now, leaseUntil, limit])) as string[];
    },
    async remove(id) {
      await REMOVE.run(redis, [], [p, id]);
    },
    async restore(s) {
      checkRestore(s);
      const args = [p, s.id, s.jid, s.gateway, s.conn, s.handled, s.acked, ...s.items.map((i) => i.xml)];
      return (await RESTORE.run(redis, [], args)) === 1;
    },
    async close() {
      if (redis.status !== "end") await redis.quit();
    },
  };
}

function pairs(flat: string[]): SmQueued[] {
  const out: SmQueued[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ seq: Number(flat[i]), xml: flat[i + 1]! });
  return out;
}
