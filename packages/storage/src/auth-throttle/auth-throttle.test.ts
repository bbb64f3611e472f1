import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { runAuthThrottleContract, throttleLimits } from "../contracts/auth-throttle-contract.ts";
import { createMemoryAuthThrottle } from "./memory-auth-throttle.ts";
import { createRedisAuthThrottle } from "./redis-auth-throttle.ts";

const url = "redis://127.0.0.1:6379";
const prefixes: string[] = [];
const newPrefix = () => {
  const p = `xmppd_test_auththrottle_${randomBytes(6).toString("hex")}:`;
  prefixes.push(p);
  return p;
};
afterAll(async () => {
  const admin = new Redis(url);
  for (const p of prefixes) {
    const keys = await admin.keys(`${p}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
});

runAuthThrottleContract("memory", (limits) => createMemoryAuthThrottle(limits));
runAuthThrottleContract("redis", (limits) => createRedisAuthThrottle({ url, keyPrefix: newPrefix(), limits }));

it("counts one address's failures from two routers together, atomically: exactly one ban", async () => {
  const keyPrefix = newPrefix();
  const routers = [0, 1].map(() => createRedisAuthThrottle({ url, keyPrefix, limits: throttleLimits }));
  try {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => routers[i % 2]!.failed("10.0.0.1", `user${i}@x`)));
    expect(results.filter((r) => r.banned)).toHaveLength(1);
    expect(await routers[1]!.bannedFor("10.0.0.1")).toBeGreaterThan(0);
  } finally {
    await Promise.all(routers.map((r) => r.close()));
  }
});

it("keeps its keys under the prefix, with no JID in them, each with an expiry", async () => {
  const keyPrefix = newPrefix();
  const s = createRedisAuthThrottle({ url, keyPrefix, limits: throttleLimits });
  const admin = new Redis(url);
  try {
    await s.failed("10.0.0.1", "alice@example.com");
    await s.succeeded("10.0.0.2", "alice@example.com");
    const keys = await admin.keys(`${keyPrefix}*`);
    expect(keys.length).toBe(4);
    for (const k of keys) {
      expect(k).not.toContain("alice");
      expect(await admin.ttl(k)).toBeGreaterThan(0);
    }
  } finally {
    await s.close();
    await admin.quit();
  }
});

it("the memory store forgets a ban when it ends", async () => {
  let now = 1_000_000;
  const s = createMemoryAuthThrottle(throttleLimits, () => now);
  for (let i = 0; i < 4; i++) await s.failed("10.0.0.1", null);
  expect(await s.bannedFor("10.0.0.1")).toBe(600);
  now += 600_000;
  expect(await s.bannedFor("10.0.0.1")).toBe(0);
});
