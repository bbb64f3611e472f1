import { afterEach, describe, expect, it } from "vitest";
import type { AuthThrottleLimits, AuthThrottleStore } from "../auth-throttle/types.ts";

export const throttleLimits: AuthThrottleLimits = {
  ban: { maxFailures: 4, windowSeconds: 300, banSeconds: 600 },
  throttle: { accountWindowSeconds: 900, freeFailures: 2, baseDelayMs: 100, maxDelayMs: 350, accountMaxFailures: 6, knownAddressDays: 30 },
};

/** One contract for every AuthThrottleStore adapter: `open` gives a store over a fresh backend. */
export function runAuthThrottleContract(label: string, open: (limits: AuthThrottleLimits) => AuthThrottleStore) {
  describe(`AuthThrottleStore contract: ${label}`, () => {
    const opened: AuthThrottleStore[] = [];
    afterEach(async () => void (await Promise.all(opened.splice(0).map((s) => s.close()))));
    const fresh = (limits = throttleLimits) => {
      const s = open(limits);
      opened.push(s);
      return s;
    };

    it("bans an address at its maxFailures-th failure, whatever accounts it tried, and no other address", async () => {
      const s = fresh();
      const results = [];
      for (const account of ["a@x", "b@x", null, "c@x"]) results.push((await s.failed("10.0.0.1", account)).banned);
      expect(results).toEqual([false, false, false, true]);
      const left = await s.bannedFor("10.0.0.1");
      expect(left).toBeGreaterThan(590);
      expect(left).toBeLessThanOrEqual(600);
      expect(await s.bannedFor("10.0.0.2")).toBe(0);
    });

    it("delays a pair's failures after freeFailures, doubling up to maxDelayMs; another address starts afresh", async () => {
      const s = fresh({ ...throttleLimits, ban: { ...throttleLimits.ban, maxFailures: 0 } });
      const delays = [];
      for (let i = 0; i < 5; i++) delays.push((await s.failed("10.0.0.1", "alice@x")).delayMs);
      expect(delays).toEqual([0, 0, 100, 200, 350]);
      expect((await s.failed("10.0.0.2", "alice@x")).delayMs).toBe(0);
    });

    it("caps an account's failures from all addresses, but not for an address that logged in to it", async () => {
      const s = fresh({ ...throttleLimits, ban: { ...throttleLimits.ban, maxFailures: 0 } });
      await s.succeeded("10.0.0.9", "alice@x");
      for (let i = 1; i <= 6; i++) {
        expect(await s.cappedFor(`10.0.1.${i}`, "alice@x")).toBe(0);
        await s.failed(`10.0.1.${i}`, "alice@x");
      }
      const left = await s.cappedFor("10.0.1.7", "alice@x");
      expect(left).toBeGreaterThan(890);
      expect(left).toBeLessThanOrEqual(900);
      expect(await s.cappedFor("10.0.0.9", "alice@x")).toBe(0);
      expect(await s.cappedFor("10.0.1.7", "bob@x")).toBe(0);
    });

    it("a login ends the pair's back-off", async () => {
      const s = fresh();
      for (let i = 0; i < 3; i++) await s.failed("10.0.0.1", "alice@x");
      await s.succeeded("10.0.0.1", "alice@x");
      expect((await s.failed("10.0.0.1", "alice@x")).delayMs).toBe(0);
    });

    it("0 turns each part off", async () => {
      const s = fresh({
        ban: { maxFailures: 0, windowSeconds: 300, banSeconds: 600 },
        throttle: { ...throttleLimits.throttle, accountWindowSeconds: 0 },
      });
      for (let i = 0; i < 10; i++) expect(await s.failed("10.0.0.1", "alice@x")).toEqual({ delayMs: 0, banned: false });
      expect(await s.bannedFor("10.0.0.1")).toBe(0);
      expect(await s.cappedFor("10.0.0.2", "alice@x")).toBe(0);
    });
  });
}
