import type { Redis } from "ioredis";
import type { SessionRecord } from "../types.ts";
import { escapeGlob } from "./key-escape.ts";
import { decodeHash } from "./record.ts";

// Admin-only walks over every session hash: SCAN (never KEYS, which blocks the server), one
// pipelined round trip per page. O(number of users).

async function* scanPages(redis: Redis, keyPrefix: string): AsyncGenerator<string[]> {
  const match = escapeGlob(keyPrefix) + "*";
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", match, "COUNT", 500);
    cursor = next;
    if (found.length > 0) yield found;
  } while (cursor !== "0");
}

async function execAll(redis: Redis, keys: string[], cmd: "hgetall" | "hlen"): Promise<unknown[]> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline[cmd](key);
  return ((await pipeline.exec()) ?? []).map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}

export async function listSessions(redis: Redis, keyPrefix: string, limit: number): Promise<SessionRecord[]> {
  const records: SessionRecord[] = [];
  if (limit <= 0) return records;
  for await (const page of scanPages(redis, keyPrefix)) {
    for (const hash of await execAll(redis, page, "hgetall")) {
      records.push(...decodeHash(hash as Record<string, string>));
    }
    if (records.length >= limit) break;
  }
  return records.slice(0, limit);
}

export async function countSessions(redis: Redis, keyPrefix: string): Promise<number> {
  let count = 0;
  for await (const page of scanPages(redis, keyPrefix)) {
    for (const n of await execAll(redis, page, "hlen")) count += n as number;
  }
  return count;
}
