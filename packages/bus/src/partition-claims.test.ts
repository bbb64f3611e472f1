// How fast a starting worker holds its share of the partitions (partition-claims.ts). Each claim
// is a JetStream KV round trip or two; a stand-in bucket answers every one after a fixed delay, as
// a loaded NATS (or a worker limited to a quarter core) does.
import { describe, expect, it } from "vitest";
import type { KV, KvEntry, NatsConnection } from "nats";
import { PartitionClaims } from "./partition-claims.ts";

const ROUND_TRIP_MS = 40;

function slowBucket(): KV {
  const keys = new Map<string, { value: string; revision: number }>();
  let revision = 0;
  const later = <T>(f: () => T) => new Promise<T>((resolve, reject) => setTimeout(() => {
    try {
      resolve(f());
    } catch (err) {
      reject(err);
    }
  }, ROUND_TRIP_MS));
  return {
    get: (k: string) => later(() => {
      const e = keys.get(k);
      return e ? ({ operation: "PUT", revision: e.revision, string: () => e.value } as unknown as KvEntry) : null;
    }),
    create: (k: string, v: string) => later(() => {
      if (keys.has(k)) throw new Error("wrong last sequence");
      keys.set(k, { value: v, revision: ++revision });
      return revision;
    }),
    update: (k: string, v: string, rev: number) => later(() => {
      if (keys.get(k)?.revision !== rev) throw new Error("wrong last sequence");
      keys.set(k, { value: v, revision: ++revision });
      return revision;
    }),
  } as unknown as KV;
}

const alone = { subscribe: () => ({ unsubscribe() {} }), publish() {}, flush: async () => {} } as unknown as NatsConnection;

describe("PartitionClaims", () => {
  it("claims a share of 32 partitions within a few round trips of its first tick, not one after another", async () => {
    const taken: number[] = [];
    const claims = new PartitionClaims(alone, slowBucket(), { count: 32, membersSubject: "m", ttlMs: 10_000, tickMs: 100, renewMs: 10_000 }, () => {});
    const hooks = { take: (p: number) => void taken.push(p), drop: async () => undefined };
    claims.start(hooks);
    // First tick at 100 ms; one by one, 32 partitions at two round trips each take 2.6 s.
    await new Promise((r) => setTimeout(r, 100 + 8 * ROUND_TRIP_MS));
    expect(taken.sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    await claims.stop(hooks);
  });
});
