import { afterEach, describe, expect, it } from "vitest";
import type { SessionRecord, SessionStore } from "../types.ts";
import { blocklistCacheTests, carbonsCountTests, queuedCounterTests } from "./session-queued-contract.ts";

/** Opens stores over one shared backend (two opens = two routers), and cleans it up. */
export interface SessionStoreFixture {
  open(): SessionStore | Promise<SessionStore>;
  cleanup?(): Promise<void>;
}

const rec = (jid: string, over: Partial<SessionRecord> = {}): SessionRecord => ({
  jid, gateway: "gw-1", conn: `c-${jid}`, available: false, priority: 0, boundAt: 1_700_000_000_123, ...over,
});
const byJid = (a: SessionRecord, b: SessionRecord) => a.jid.localeCompare(b.jid);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runSessionStoreContract(label: string, factory: () => SessionStoreFixture | Promise<SessionStoreFixture>) {
  describe(`SessionStore contract: ${label}`, () => {
    const opened: SessionStore[] = [];
    let fixture: SessionStoreFixture | undefined;
    async function open(): Promise<SessionStore> {
      fixture ??= await factory();
      const store = await fixture.open();
      opened.push(store);
      return store;
    }
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await fixture?.cleanup?.();
      fixture = undefined;
    });

    it("binds, gets and unbinds a resource", async () => {
      const s = await open();
      const r = rec("alice@example.com/phone", { presence: "<presence/>" });
      expect(await s.bind(r, 10)).toEqual({ ok: true });
      expect(await s.get("alice@example.com")).toEqual([r]);
      expect(await s.unbind(r.jid, r.conn)).toEqual(r);
      expect(await s.get("alice@example.com")).toEqual([]);
      expect(await s.count()).toBe(0);
    });

    it("replaces a session on the same full JID and returns the old one", async () => {
      const s = await open();
      const old = rec("alice@example.com/phone", { gateway: "gw-1", conn: "c1" });
      const fresh = rec("alice@example.com/phone", { gateway: "gw-2", conn: "c2" });
      await s.bind(old, 1);
      expect(await s.bind(fresh, 1)).toEqual({ ok: true, replaced: old });
      expect(await s.get("alice@example.com")).toEqual([fresh]);
      expect(await s.listGateway("gw-1")).toEqual([]);
      expect(await s.listGateway("gw-2")).toEqual([fresh]);
    });

    it("refuses a resource beyond the limit but allows replacing at the limit", async () => {
      const s = await open();
      await s.bind(rec("bob@example.com/a"), 2);
      await s.bind(rec("bob@example.com/b"), 2);
      expect(await s.bind(rec("bob@example.com/c"), 2)).toEqual({ ok: false, reason: "resource-limit" });
      expect((await s.bind(rec("bob@example.com/b", { conn: "new" }), 2)).ok).toBe(true);
      expect((await s.get("bob@example.com")).map((r) => r.jid).sort()).toEqual(["bob@example.com/a", "bob@example.com/b"]);
      expect(await s.bind(rec("carol@example.com/a"), 0)).toEqual({ ok: false, reason: "resource-limit" });
    });

    it("enforces the resource limit when binds race", async () => {
      const [r1, r2] = [await open(), await open()];
      const binds = Array.from({ length: 8 }, (_, i) => (i % 2 ? r1 : r2).bind(rec(`race@x.org/r${i}`), 3));
      const results = await Promise.all(binds);
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect(await r1.get("race@x.org")).toHaveLength(3);
    });

    it("unbinds only when the connection still owns the session", async () => {
      const s = await open();
      await s.bind(rec("dave@example.com/r", { conn: "old" }), 10);
      await s.bind(rec("dave@example.com/r", { conn: "new" }), 10);
      expect(await s.unbind("dave@example.com/r", "old")).toBeNull();
      expect((await s.get("dave@example.com"))[0]?.conn).toBe("new");
      expect(await s.unbind("dave@example.com/missing", "new")).toBeNull();
      expect((await s.unbind("dave@example.com/r", "new"))?.conn).toBe("new");
      expect(await s.listGateway("gw-1")).toEqual([]);
    });

    it("annotates a session (roster interest, directed presence) only for the owning connection", async () => {
      const s = await open();
      const r = rec("fay@example.com/r", { conn: "c1" });
      await s.bind(r, 10);
      expect(await s.annotate(r.jid, "c1", { interested: true, directed: ["g@x.org", "h@x.org/r"] })).toBe(true);
      expect(await s.get("fay@example.com")).toEqual([{ ...r, interested: true, directed: ["g@x.org", "h@x.org/r"] }]);
      // Presence changes keep the annotations; an empty list clears, an absent field is unchanged.
      expect(await s.setPresence(r.jid, "c1", { available: true, priority: 1, presence: "<presence/>" })).toBe(true);
      expect(await s.annotate(r.jid, "c1", { directed: [] })).toBe(true);
      expect(await s.get("fay@example.com")).toEqual([{ ...r, available: true, priority: 1, presence: "<presence/>", interested: true }]);
      expect(await s.annotate(r.jid, "other", { interested: false })).toBe(false);
      expect(await s.annotate(r.jid, "c1", { interested: false })).toBe(true);
      expect(await s.annotate("fay@example.com/gone", "c1", { interested: true })).toBe(false);
      // XEP-0191 block-list interest and XEP-0280 carbons are flags like roster interest.
      expect(await s.annotate(r.jid, "c1", { blocklist: true, carbons: true })).toBe(true);
      expect((await s.get("fay@example.com"))[0]).toMatchObject({ blocklist: true, carbons: true });
      expect(await s.annotate(r.jid, "c1", { carbons: false })).toBe(true);
      const [after] = await s.get("fay@example.com");
      expect([after?.blocklist, after?.carbons]).toEqual([true, undefined]);
      // XEP-0013: flexible offline retrieval is a flag too, and leaves the others alone.
      expect(await s.annotate(r.jid, "c1", { flexOffline: true })).toBe(true);
      expect((await s.lookup(["fay@example.com"])).get("fay@example.com")?.sessions[0]).toMatchObject({ flexOffline: true, blocklist: true });
      expect(await s.annotate(r.jid, "c1", { flexOffline: false })).toBe(true);
      expect((await s.get("fay@example.com"))[0]?.flexOffline).toBeUndefined();
      expect((await s.removeGateway(r.gateway)).map((x) => x.jid)).toEqual([r.jid]);
      expect(await s.get("fay@example.com")).toEqual([]);
    });

    it("updates presence only for the owning connection", async () => {
      const s = await open();
      const r = rec("erin@example.com/r", { conn: "c1" });
      await s.bind(r, 10);
      const p = { available: true, priority: -5, presence: `<presence><show>away</show><status>"é/ü"</status></presence>` };
      expect(await s.setPresence(r.jid, "c1", p)).toBe(true);
      expect(await s.get("erin@example.com")).toEqual([{ ...r, ...p }]);
      expect(await s.setPresence(r.jid, "other", { available: false, priority: 0 })).toBe(false);
      expect(await s.setPresence(r.jid, "c1", { available: false, priority: 0 })).toBe(true);
      expect(await s.get("erin@example.com")).toEqual([{ ...r, available: false, priority: 0 }]);
      expect(await s.setPresence("erin@example.com/gone", "c1", p)).toBe(false);
    });

    it("reads many bare JIDs at once, including unknown ones", async () => {
      const s = await open();
      const a = [rec("a@x.org/1"), rec("a@x.org/2")];
      const b = rec("b@x.org/1");
      for (const r of [...a, b]) await s.bind(r, 10);
      const got = await s.getMany(["a@x.org", "b@x.org", "nobody@x.org"]);
      expect([...got.keys()].sort()).toEqual(["a@x.org", "b@x.org", "nobody@x.org"]);
      expect(got.get("a@x.org")?.sort(byJid)).toEqual(a);
      expect(got.get("b@x.org")).toEqual([b]);
      expect(got.get("nobody@x.org")).toEqual([]);
      expect((await s.getMany([])).size).toBe(0);
    });

    it("keeps JIDs and gateway ids with key-special characters apart", async () => {
      const s = await open();
      const odd = ["{a}:*@x.org/r", "a%7B@x.org/r", "a\\[?]@x.org/{r}:*", "a b\u0001@x.org/r"];
      for (const jid of odd) await s.bind(rec(jid, { gateway: "gw:{*}%" }), 10);
      for (const jid of odd) expect((await s.get(jid.slice(0, jid.indexOf("/"))))[0]?.jid).toBe(jid);
      expect((await s.listGateway("gw:{*}%")).map((r) => r.jid).sort()).toEqual([...odd].sort());
      expect(await s.listGateway("gw:{*}")).toEqual([]);
      expect(await s.count()).toBe(odd.length);
      expect((await s.removeGateway("gw:{*}%")).length).toBe(odd.length);
    });

    it("reports a gateway whose heartbeat lapsed and removes its sessions once under concurrency", async () => {
      const router1 = await open();
      const router2 = await open();
      const onDead = Array.from({ length: 30 }, (_, i) => rec(`u${i}@x.org/r`, { gateway: "gw-dead" }));
      const onLive = rec("live@x.org/r", { gateway: "gw-live" });
      for (const r of [...onDead, onLive]) await router1.bind(r, 10);
      await router1.heartbeat("gw-dead", 400);
      await router1.heartbeat("gw-live", 60_000);
      expect(await router2.deadGateways()).toEqual([]);
      await sleep(600);
      expect(await router2.deadGateways()).toEqual(["gw-dead"]);
      const [a, b] = await Promise.all([router1.removeGateway("gw-dead"), router2.removeGateway("gw-dead")]);
      expect([...a, ...b].sort(byJid)).toEqual([...onDead].sort(byJid));
      expect(await router1.deadGateways()).toEqual([]);
      expect(await router1.listGateway("gw-dead")).toEqual([]);
      expect(await router2.get("live@x.org")).toEqual([onLive]);
      expect(await router2.removeGateway("gw-dead")).toEqual([]);
    });

    it("does not remove a session that moved to another gateway", async () => {
      const s = await open();
      await s.bind(rec("f@x.org/r", { gateway: "gw-a", conn: "1" }), 10);
      await s.bind(rec("f@x.org/r", { gateway: "gw-b", conn: "2" }), 10);
      expect(await s.removeGateway("gw-a")).toEqual([]);
      expect((await s.get("f@x.org"))[0]?.gateway).toBe("gw-b");
    });

    it("lists and counts all sessions", async () => {
      const s = await open();
      const all = Array.from({ length: 7 }, (_, i) => rec(`n${i % 3}@x.org/r${i}`));
      for (const r of all) await s.bind(r, 10);
      expect(await s.count()).toBe(7);
      expect((await s.list(100)).sort(byJid)).toEqual([...all].sort(byJid));
      const page = await s.list(4);
      expect(page).toHaveLength(4);
      expect(new Set(page.map((r) => r.jid)).size).toBe(4);
      expect(await s.list(0)).toEqual([]);
    });

    it("restores a record only where its full JID is free or held by the same connection", async () => {
      const s = await open();
      const r = rec("g@x.org/r", { available: true, priority: 5, presence: "<presence/>", sm: "s1", carbons: true });
      expect(await s.restore(r)).toBe("restored");
      // carbons is left to annotate, which keeps the account's count.
      const { carbons: _c, ...written } = r;
      expect(await s.get("g@x.org")).toEqual([written]);
      expect(await s.restore(r)).toBe("present");
      expect(await s.restore({ ...r, conn: "other" })).toBe("taken");
      expect(await s.restore({ ...r, gateway: "gw-2" })).toBe("taken");
      expect(await s.listGateway("gw-1")).toEqual([written]);
    });

    it("keeps the first epoch marker offered, so a changed one means the data was lost", async () => {
      const s = await open();
      expect(await s.epoch("e1")).toBe("e1");
      expect(await s.epoch("e2")).toBe("e1");
      expect(await (await open()).epoch("e3")).toBe("e1");
    });

    queuedCounterTests(open);
    blocklistCacheTests(open);
    carbonsCountTests(open);
  });
}
