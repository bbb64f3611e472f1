// Batched reads of many accounts in one pipeline: the session hash and, for lookup(), the queued
// counter of each bare JID. One round trip whatever the batch size.
import type { Redis } from "ioredis";
import type { RecipientState } from "../types.ts";
import { decodeHash } from "./record.ts";
import type { RedisKeys } from "./redis-keys.ts";

export async function readAccounts(redis: Redis, keys: RedisKeys, bareJids: string[], withQueued: boolean): Promise<Map<string, RecipientState>> {
  const result = new Map<string, RecipientState>();
  const unique = [...new Set(bareJids)];
  if (unique.length === 0) return result;
  const pipeline = redis.pipeline();
  for (const bare of unique) {
    pipeline.hgetall(keys.sess(bare));
    if (withQueued) pipeline.get(keys.queued(bare));
  }
  const replies = (await pipeline.exec()) ?? [];
  const reply = (i: number): unknown => {
    const [err, value] = replies[i] ?? [new Error("missing pipeline reply"), null];
    if (err) throw err;
    return value;
  };
  const stride = withQueued ? 2 : 1;
  unique.forEach((bare, i) => {
    const sessions = decodeHash(reply(i * stride) as Record<string, string>);
    const queued = withQueued ? Number(reply(i * stride + 1) ?? 0) : 0;
    result.set(bare, { sessions, queued: Number.isFinite(queued) && queued > 0 ? queued : 0 });
  });
  return result;
}
