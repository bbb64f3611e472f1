// SessionStore.lookup and addQueued, run inside runSessionStoreContract for every adapter.
import { expect, it } from "vitest";
import type { SessionRecord, SessionStore } from "../types.ts";

const rec = (jid: string, over: Partial<SessionRecord> = {}): SessionRecord => ({
  jid, gateway: "gw-1", conn: `c-${jid}`, available: true, priority: 1, boundAt: 1_700_000_000_123, ...over,
});

export function queuedCounterTests(open: () => Promise<SessionStore>): void {
  it("looks up sessions and queued counts of many accounts in one call", async () => {
    const s = await open();
    const a = rec("a@x.org/1");
    await s.bind(a, 10);
    expect(await s.addQueued("a@x.org", 2)).toBe(2);
    expect(await s.addQueued("q@x.org", 1)).toBe(1);
    const got = await s.lookup(["a@x.org", "q@x.org", "nobody@x.org", "a@x.org"]);
    expect([...got.keys()].sort()).toEqual(["a@x.org", "nobody@x.org", "q@x.org"]);
    expect(got.get("a@x.org")).toEqual({ sessions: [a], queued: 2, blocked: null, carbons: 0 });
    expect(got.get("q@x.org")).toEqual({ sessions: [], queued: 1, blocked: null, carbons: 0 });
    expect(got.get("nobody@x.org")).toEqual({ sessions: [], queued: 0, blocked: null, carbons: 0 });
    expect((await s.lookup([])).size).toBe(0);
  });

  it("counts queued messages per account, shared between store instances, never below 0", async () => {
    const [r1, r2] = [await open(), await open()];
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? r1 : r2).addQueued("b@x.org", 1)));
    expect((await r2.lookup(["b@x.org"])).get("b@x.org")?.queued).toBe(10);
    expect(await r1.addQueued("b@x.org", -3)).toBe(7);
    expect(await r2.addQueued("b@x.org", -9)).toBe(0);
    expect((await r1.lookup(["b@x.org"])).get("b@x.org")?.queued).toBe(0);
    // A decrement below 0 is forgotten, not remembered as debt: the next message counts as 1.
    expect(await r1.addQueued("b@x.org", -1)).toBe(0);
    expect(await r2.addQueued("b@x.org", 1)).toBe(1);
    expect(await r2.addQueued("c@x.org", 0)).toBe(0);
    expect((await r1.lookup(["c@x.org"])).get("c@x.org")?.queued).toBe(0);
  });

  it("refuses a delta that is not an integer", async () => {
    const s = await open();
    await expect(s.addQueued("d@x.org", 0.5)).rejects.toThrow(RangeError);
    await expect(s.addQueued("d@x.org", Number.NaN)).rejects.toThrow(RangeError);
  });
}

/** The cached XEP-0191 block lists read by lookup() (the router's hot path). */
export function blocklistCacheTests(open: () => Promise<SessionStore>): void {
  it("caches block lists by version and reads them with the sessions in lookup()", async () => {
    const [r1, r2] = [await open(), await open()];
    const e = rec("e@x.org/1");
    await r1.bind(e, 10);
    // Absent means unknown (null), not empty: an empty list is cached as [].
    expect((await r1.lookup(["e@x.org"])).get("e@x.org")?.blocked).toBeNull();
    await r1.cacheBlocklist("e@x.org", { version: 0, jids: [] }, 60_000);
    expect((await r2.lookup(["e@x.org"])).get("e@x.org")).toEqual({ sessions: [e], queued: 0, blocked: [], carbons: 0 });
    await r2.cacheBlocklist("e@x.org", { version: 2, jids: ["bad@x.org", "x.org/spam"] }, 60_000);
    // A loader holding an older (or the same) version never overwrites a newer copy.
    await r1.cacheBlocklist("e@x.org", { version: 1, jids: ["old@x.org"] }, 60_000);
    await r1.cacheBlocklist("e@x.org", { version: 2, jids: [] }, 60_000);
    expect((await r1.lookup(["e@x.org"])).get("e@x.org")?.blocked).toEqual(["bad@x.org", "x.org/spam"]);
    await r1.cacheBlocklist("e@x.org", { version: 3, jids: [] }, 60_000);
    expect((await r2.lookup(["e@x.org"])).get("e@x.org")?.blocked).toEqual([]);
  });

  it("reads only the block list of the blocklistsOnly accounts, in the same call", async () => {
    const s = await open();
    const f = rec("f@x.org/1");
    const g = rec("g@x.org/1");
    await s.bind(f, 10);
    await s.bind(g, 10);
    await s.addQueued("g@x.org", 1);
    await s.cacheBlocklist("g@x.org", { version: 1, jids: ["f@x.org"] }, 60_000);
    const got = await s.lookup(["f@x.org"], ["g@x.org", "f@x.org", "h@x.org"]);
    expect(got.get("f@x.org")).toEqual({ sessions: [f], queued: 0, blocked: null, carbons: 0 });
    expect(got.get("g@x.org")).toEqual({ sessions: [], queued: 0, blocked: ["f@x.org"], carbons: 0 });
    expect(got.get("h@x.org")).toEqual({ sessions: [], queued: 0, blocked: null, carbons: 0 });
  });

  it("lets a cached block list lapse after its time to live", async () => {
    const s = await open();
    await s.cacheBlocklist("ttl@x.org", { version: 1, jids: ["a@x.org"] }, 50);
    expect((await s.lookup(["ttl@x.org"])).get("ttl@x.org")?.blocked).toEqual(["a@x.org"]);
    await new Promise((r) => setTimeout(r, 120));
    expect((await s.lookup(["ttl@x.org"])).get("ttl@x.org")?.blocked).toBeNull();
  });
}

/** The carbons count that lets the router skip the sender's sessions when no resource wants copies. */
export function carbonsCountTests(open: () => Promise<SessionStore>): void {
  it("counts an account's carbons-enabled resources through enable, disable, unbind, rebind and gateway removal", async () => {
    const s = await open();
    const count = async () => (await s.lookup([], ["k@x.org"])).get("k@x.org")?.carbons;
    const [a, b] = [rec("k@x.org/a", { conn: "ca" }), rec("k@x.org/b", { conn: "cb", gateway: "gw-k" })];
    await s.bind(a, 10);
    await s.bind(b, 10);
    expect(await count()).toBe(0);
    await s.annotate(a.jid, "ca", { carbons: true });
    await s.annotate(a.jid, "ca", { carbons: true });
    await s.annotate(b.jid, "cb", { carbons: true });
    expect(await count()).toBe(2);
    expect((await s.lookup(["k@x.org"])).get("k@x.org")?.carbons).toBe(2);
    await s.annotate(b.jid, "cb", { carbons: false, interested: true });
    expect(await count()).toBe(1);
    await s.annotate(b.jid, "cb", { carbons: true });
    await s.removeGateway("gw-k");
    expect(await count()).toBe(1);
    // A new bind on the same resource starts with carbons off.
    await s.bind({ ...a, conn: "ca2" }, 10);
    expect(await count()).toBe(0);
    await s.annotate(a.jid, "ca2", { carbons: true });
    expect(await s.unbind(a.jid, "ca2")).not.toBeNull();
    expect(await count()).toBe(0);
  });

  it("keeps the nothing-stored mark per account, shared between store instances, until cleared", async () => {
    const [r1, r2] = [await open(), await open()];
    expect(await r1.nothingStored("e@x.org")).toBe(false);
    await r1.markNothingStored("e@x.org");
    await r1.markNothingStored("{f}*@x.org");
    expect(await r2.nothingStored("e@x.org")).toBe(true);
    expect(await r2.nothingStored("{f}*@x.org")).toBe(true);
    expect(await r2.nothingStored("g@x.org")).toBe(false);
    await r2.clearNothingStored(["e@x.org", "{f}*@x.org", "g@x.org"]);
    expect(await r1.nothingStored("e@x.org")).toBe(false);
    expect(await r1.nothingStored("{f}*@x.org")).toBe(false);
    await r2.clearNothingStored([]);
  });
}
