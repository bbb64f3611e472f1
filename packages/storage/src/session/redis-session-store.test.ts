import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { runSessionStoreContract } from "../contracts/session-store-contract.ts";
import { escapeGlob } from "./key-escape.ts";
import { createRedisSessionStore } from "./redis-session-store.ts";

const url = "redis://127.0.0.1:6379";
const admin = new Redis(url);
afterAll(async () => void (await admin.quit()));

async function deleteKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await admin.scan(cursor, "MATCH", escapeGlob(prefix) + "*", "COUNT", 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  if (keys.length > 0) await admin.del(...keys);
  return keys;
}

// The prefix itself contains glob characters, so SCAN-based list/count must escape it.
const newPrefix = () => `xmppd_test_${randomBytes(6).toString("hex")}:[*]:`;

runSessionStoreContract("redis", () => {
  const keyPrefix = newPrefix();
  return {
    open: () => createRedisSessionStore({ url, keyPrefix }),
    cleanup: async () => void (await deleteKeys(keyPrefix)),
  };
});

describe("Redis session layout", () => {
  const keyPrefix = newPrefix();
  afterAll(() => deleteKeys(keyPrefix));

  it("uses the documented keys with escaped components and no stray keys", async () => {
    const store = createRedisSessionStore({ url, keyPrefix });
    const jid = "{al}ice:*@example.com/res";
    await store.bind({ jid, gateway: "g:1", conn: "c", available: false, priority: 0, boundAt: 1 }, 10);
    await store.heartbeat("g:1", 10_000);
    const bare = "%7Bal%7Dice%3A%2A@example.com";
    expect(await admin.hkeys(`${keyPrefix}sess:{${bare}}`)).toEqual(["res"]);
    expect(await admin.smembers(`${keyPrefix}gw:g%3A1:sess`)).toEqual([jid]);
    expect(await admin.smembers(`${keyPrefix}gateways`)).toEqual(["g:1"]);
    const ttl = await admin.pttl(`${keyPrefix}gw:g%3A1:alive`);
    expect(ttl).toBeGreaterThan(5_000);
    await store.addQueued("{al}ice:*@example.com", 2);
    expect(await admin.get(`${keyPrefix}queued:{${bare}}`)).toBe("2");
    expect(await admin.pttl(`${keyPrefix}queued:{${bare}}`)).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
    await store.addQueued("{al}ice:*@example.com", -2);
    await store.unbind(jid, "c");
    expect((await deleteKeys(keyPrefix)).sort()).toEqual([`${keyPrefix}gw:g%3A1:alive`]);
    await store.close();
  });
});

describe("Redis removeGateway in batches", () => {
  const keyPrefix = newPrefix();
  afterAll(() => deleteKeys(keyPrefix));

  it("splits a large gateway between concurrent callers without duplicates", async () => {
    const [r1, r2] = [createRedisSessionStore({ url, keyPrefix }), createRedisSessionStore({ url, keyPrefix })];
    const jids = Array.from({ length: 1200 }, (_, i) => `user${i}@x.org/r`);
    await Promise.all(jids.map((jid) => r1.bind({ jid, gateway: "big", conn: "c", available: true, priority: 1, boundAt: 1 }, 10)));
    const [a, b] = await Promise.all([r1.removeGateway("big"), r2.removeGateway("big")]);
    const removed = [...a, ...b].map((r) => r.jid);
    expect(new Set(removed).size).toBe(1200);
    expect(removed.sort()).toEqual(jids.sort());
    expect(await r1.count()).toBe(0);
    expect(await r1.deadGateways()).toEqual([]);
    await Promise.all([r1.close(), r2.close()]);
  });
});
