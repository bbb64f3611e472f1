// Batched reads of many accounts in one pipeline: the session hash of each bare JID and, for
// lookup(), ONE MGET of every queued counter and cached block list in the batch (and of the
// block lists of `blocklistsOnly`). One round trip whatever the batch size, and one command per
// account plus one per batch: the per-command cost in the client is what the hot path pays for.
// (An MGET over many accounts' keys needs standalone Redis or Sentinel, as the scripts do.)
import type { Redis } from "ioredis";
import type { RecipientState } from "../types.ts";
import { decodeBlocklistJids } from "./blocklist-cache.ts";
import { decodeHash } from "./record.ts";
import type { RedisKeys } from "./redis-keys.ts";

export async function readAccounts(
  redis: Redis, keys: RedisKeys, bareJids: string[], blocklistsOnly: string[], withState: boolean,
): Promise<Map<string, RecipientState>> {
  const result = new Map<string, RecipientState>();
  const wanted = new Set(bareJids);
  const unique = [...wanted];
  const listsOnly = blocklistsOnly.length === 0 ? [] : [...new Set(blocklistsOnly)].filter((b) => !wanted.has(b));
  if (unique.length === 0 && listsOnly.length === 0) return result;
  const pipeline = redis.pipeline();
  for (const bare of unique) pipeline.hgetall(keys.sess(bare));
  const scalars: string[] = [];
  if (withState) for (const bare of unique) scalars.push(keys.queued(bare), keys.block(bare));
  for (const bare of listsOnly) scalars.push(keys.block(bare), keys.carbons(bare));
  if (scalars.length > 0) pipeline.mget(scalars);
  const replies = (await pipeline.exec()) ?? [];
  const reply = (i: number): unknown => {
    const [err, value] = replies[i] ?? [new Error("missing pipeline reply"), null];
    if (err) throw err;
    return value;
  };
  const values = (scalars.length > 0 ? reply(unique.length) : []) as (string | null)[];
  unique.forEach((bare, i) => {
    const sessions = decodeHash(reply(i) as Record<string, string>);
    const queued = withState ? Number(values[2 * i] ?? 0) : 0;
    const blocked = withState ? decodeBlocklistJids(values[2 * i + 1]) : null;
    const carbons = sessions.reduce((n, s) => (s.carbons ? n + 1 : n), 0);
    result.set(bare, { sessions, queued: Number.isFinite(queued) && queued > 0 ? queued : 0, blocked, carbons });
  });
  const base = withState ? 2 * unique.length : 0;
  listsOnly.forEach((bare, i) => {
    const carbons = Number(values[base + 2 * i + 1] ?? 0);
    result.set(bare, { sessions: [], queued: 0, blocked: decodeBlocklistJids(values[base + 2 * i]), carbons: carbons > 0 ? carbons : 0 });
  });
  return result;
}
