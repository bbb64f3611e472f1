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
    expect(got.get("a@x.org")).toEqual({ sessions: [a], queued: 2 });
    expect(got.get("q@x.org")).toEqual({ sessions: [], queued: 1 });
    expect(got.get("nobody@x.org")).toEqual({ sessions: [], queued: 0 });
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
