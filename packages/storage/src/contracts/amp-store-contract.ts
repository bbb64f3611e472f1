// AmpStore contract: the XEP-0079 outbox (record once, claim, relay stale) and expiry of stored
// messages under the owner's lock, run against every SQL adapter.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmpStore, OfflineStore } from "../types.ts";

export interface AmpStoreFixture {
  amp: AmpStore;
  offline: OfflineStore;
  close(): Promise<void>;
}

export function runAmpStoreContract(label: string, factory: () => Promise<AmpStoreFixture>) {
  describe(`AmpStore contract: ${label}`, () => {
    let fx: AmpStoreFixture;
    beforeAll(async () => void (fx = await factory()));
    afterAll(() => fx?.close());
    const id = () => randomBytes(6).toString("hex");
    let order = 0;
    const event = (key = id()) => ({ key, recipient: "bob@example.com/phone", stanza: `<message id='${key}'/>` });
    const stored = async (owner: string, expiresAt: Date | null, meta: unknown = { n: 1 }) => {
      expect(await fx.offline.store({ key: id(), owner, sender: "bob@example.com/phone", stanza: "<message/>", orderKey: String(++order).padStart(8, "0"), expiresAt, meta }, 100)).toBe("stored");
    };

    it("records an event once: a second record of the key returns nothing", async () => {
      const e = event();
      const [first] = await fx.amp.record([e], 60_000);
      expect(first).toMatchObject(e);
      expect(first?.id).toMatch(/^[0-9]+$/);
      expect(await fx.amp.record([e, event()], 60_000)).toHaveLength(1);
    });

    it("keeps the callers' order of events recorded together", async () => {
      const events = [event(`z${id()}`), event(`a${id()}`), event(`m${id()}`)];
      expect((await fx.amp.record(events, 60_000)).map((e) => e.key)).toEqual(events.map((e) => e.key));
    });

    it("hands an unsent event to another worker once its claim lapses, and never a sent one", async () => {
      const [lapsing] = await fx.amp.record([event()], 1);
      const [sent] = await fx.amp.record([event()], 1);
      const [held] = await fx.amp.record([event()], 60_000);
      await fx.amp.markSent([sent!.id]);
      await new Promise((r) => setTimeout(r, 20));
      const claimed = (await fx.amp.claimStale(1000, 60_000)).map((e) => e.id);
      expect(claimed).toContain(lapsing!.id);
      expect(claimed).not.toContain(sent!.id);
      expect(claimed).not.toContain(held!.id);
      // Claimed anew: a second relay does not take it again.
      expect((await fx.amp.claimStale(1000, 60_000)).map((e) => e.id)).not.toContain(lapsing!.id);
    });

    it("prunes sent events past their age only", async () => {
      const [e] = await fx.amp.record([event()], 60_000);
      await fx.amp.markSent([e!.id]);
      expect(await fx.amp.pruneSent(60_000)).toBe(0);
      await new Promise((r) => setTimeout(r, 20));
      expect(await fx.amp.pruneSent(1)).toBeGreaterThanOrEqual(1);
      // Pruned: the key may be recorded again (the window of redeliveries has long passed).
      expect(await fx.amp.record([e!], 60_000)).toHaveLength(1);
    });

    it("finds owners with due messages and applies each verdict under the lock", async () => {
      const owner = `${id()}@example.com`;
      const now = new Date();
      await stored(owner, new Date(now.getTime() - 2000), { which: "gone" });
      await stored(owner, new Date(now.getTime() - 1000), { which: "kept" });
      await stored(owner, new Date(now.getTime() + 60_000), { which: "later" });
      await stored(owner, null, { which: "plain" });
      expect(await fx.amp.dueOwners(now, 1000)).toContain(owner);
      const seen: unknown[] = [];
      const result = await fx.amp.expireOwner(owner, now, (row) => {
        seen.push(row.meta);
        return (row.meta as { which: string }).which === "gone"
          ? { t: "delete", events: [event()] }
          : { t: "keep", meta: { which: "kept", fired: [true] }, expiresAt: null, events: [] };
      }, 60_000);
      expect(seen).toEqual([{ which: "gone" }, { which: "kept" }]);
      expect(result.rows).toBe(2);
      expect(result.events).toHaveLength(1);
      expect(result.lagsMs).toEqual([2000, 1000]);
      expect((await fx.offline.list(owner)).map((r) => [r.meta, r.expiresAt !== null])).toEqual(
        expect.arrayContaining([[{ which: "kept", fired: [true] }, false], [{ which: "later" }, true], [{ which: "plain" }, false]]),
      );
      expect(await fx.offline.count(owner)).toBe(3);
      expect(await fx.amp.dueOwners(now, 1000)).not.toContain(owner);
    });

    it("fires a due message once when two workers expire the same owner at once", async () => {
      const owner = `${id()}@example.com`;
      const now = new Date();
      await stored(owner, new Date(now.getTime() - 10));
      let verdicts = 0;
      const expire = () => fx.amp.expireOwner(owner, now, () => (verdicts++, { t: "delete", events: [] }), 60_000);
      const results = await Promise.all([expire(), expire()]);
      expect(verdicts).toBe(1);
      expect(results.map((r) => r.rows).sort()).toEqual([0, 1]);
    });

    it("counts pending timers and purges an owner's messages", async () => {
      const owner = `${id()}@example.com`;
      const before = await fx.amp.pendingTimers();
      await stored(owner, new Date(Date.now() + 60_000));
      await stored(owner, null);
      expect(await fx.amp.pendingTimers()).toBe(before + 1);
      expect(await fx.amp.purge(owner, { expirableOnly: true })).toBe(1);
      expect(await fx.offline.count(owner)).toBe(1);
      expect(await fx.amp.purge(owner)).toBe(1);
      expect(await fx.offline.count(owner)).toBe(0);
    });
  });
}
