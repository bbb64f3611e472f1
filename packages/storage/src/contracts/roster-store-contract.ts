import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RosterItem, RosterStore } from "../types.ts";
import { rosterItem, rosterVersionTests } from "./roster-versions-contract.ts";

/** Opens stores over one migrated database; keepTombstones bounds remembered removals per owner. */
export interface RosterStoreFixture {
  open(opts?: { keepTombstones?: number }): RosterStore;
  close(): Promise<void>;
}

export { rosterItem };

/** Runs against one migrated database; each test uses its own random owner. */
export function runRosterStoreContract(label: string, factory: () => Promise<RosterStoreFixture>) {
  describe(`RosterStore contract: ${label}`, () => {
    let fx: RosterStoreFixture;
    let store: RosterStore;
    beforeAll(async () => {
      fx = await factory();
      store = fx.open();
    });
    afterAll(() => fx?.close());
    const newOwner = () => `${randomBytes(6).toString("hex")}@example.com`;

    it("starts with an empty roster at version 0", async () => {
      const owner = newOwner();
      expect(await store.get(owner)).toEqual({ version: 0, items: [] });
      expect(await store.item(owner, "bob@example.com")).toBeNull();
      expect(await store.count(owner)).toBe(0);
      expect(await store.changesSince(owner, 0)).toEqual({ version: 0, changes: [] });
      expect(await store.subscribersOf(owner)).toEqual([]);
      expect(await store.authorises(owner, "bob@example.com")).toBe(false);
    });

    it("stores every field and lists items in byte order of their jid", async () => {
      const owner = newOwner();
      const bob = rosterItem("bob@example.com", {
        name: "Bob", subscription: "from", ask: "subscribe", approved: true, pendingIn: true,
        pendingInStanza: "<presence type='subscribe' from='bob@example.com'/>", groups: ["Friends", "Work"],
      });
      const zed = rosterItem("Zed@example.com", { name: "Zéd" });
      expect(await store.upsert(owner, bob)).toEqual({ version: 1, changed: true });
      expect(await store.upsert(owner, zed)).toEqual({ version: 2, changed: true });
      expect(await store.item(owner, bob.jid)).toEqual(bob);
      expect(await store.get(owner)).toEqual({ version: 2, items: [zed, bob] });
      expect(await store.count(owner)).toBe(2);
      expect(await store.get(newOwner())).toEqual({ version: 0, items: [] });
    });

    it("bumps the version only when something changed", async () => {
      const owner = newOwner();
      const base = rosterItem("bob@example.com", { groups: ["A", "B"] });
      await store.upsert(owner, base);
      expect(await store.upsert(owner, { ...base, groups: ["A", "B"] })).toEqual({ version: 1, changed: false });
      const edits: Partial<RosterItem>[] = [
        { name: "Bob" }, { subscription: "to" }, { ask: "subscribe" }, { approved: true }, { pendingIn: true },
        { pendingInStanza: "<presence type='subscribe'/>" }, { groups: ["B", "A"] }, { groups: [] },
      ];
      let item = base;
      for (const [i, edit] of edits.entries()) {
        item = { ...item, ...edit };
        expect(await store.upsert(owner, item)).toEqual({ version: i + 2, changed: true });
        expect(await store.item(owner, item.jid)).toEqual(item);
      }
      expect((await store.get(owner)).version).toBe(edits.length + 1);
    });

    it("deduplicates groups, keeping their first order", async () => {
      const owner = newOwner();
      await store.upsert(owner, rosterItem("bob@example.com", { groups: ["Work", "Friends", "Work", "Friends", "Zoo"] }));
      expect((await store.item(owner, "bob@example.com"))?.groups).toEqual(["Work", "Friends", "Zoo"]);
      expect(await store.upsert(owner, rosterItem("bob@example.com", { groups: ["Work", "Work", "Friends", "Zoo"] })))
        .toEqual({ version: 1, changed: false });
    });

    it("removes an item once; a later upsert brings it back", async () => {
      const owner = newOwner();
      await store.upsert(owner, rosterItem("bob@example.com", { subscription: "both", groups: ["G"] }));
      await store.upsert(owner, rosterItem("carol@example.com"));
      expect(await store.remove(owner, "bob@example.com")).toEqual({ version: 3, removed: true });
      expect(await store.remove(owner, "bob@example.com")).toEqual({ version: 3, removed: false });
      expect(await store.remove(owner, "nobody@example.com")).toEqual({ version: 3, removed: false });
      expect(await store.item(owner, "bob@example.com")).toBeNull();
      expect(await store.get(owner)).toEqual({ version: 3, items: [rosterItem("carol@example.com")] });
      expect(await store.count(owner)).toBe(1);
      expect(await store.authorises(owner, "bob@example.com")).toBe(false);
      expect(await store.upsert(owner, rosterItem("bob@example.com"))).toEqual({ version: 4, changed: true });
      expect(await store.item(owner, "bob@example.com")).toEqual(rosterItem("bob@example.com"));
    });

    it("answers subscribersOf, subscriptionsOf and authorises by subscription state", async () => {
      const [owner, other] = [newOwner(), newOwner()];
      for (const subscription of ["none", "to", "from", "both"] as const) {
        await store.upsert(owner, rosterItem(`${subscription}@example.com`, { subscription, ask: "subscribe", pendingIn: true }));
      }
      await store.upsert(owner, rosterItem("gone@example.com", { subscription: "both" }));
      await store.remove(owner, "gone@example.com");
      await store.upsert(other, rosterItem("x@example.com", { subscription: "both" }));
      expect(await store.subscribersOf(owner)).toEqual(["both@example.com", "from@example.com"]);
      expect(await store.subscriptionsOf(owner)).toEqual(["both@example.com", "to@example.com"]);
      // pendingIn is set on each, without a stored stanza (rosterItem's default): nothing to re-deliver.
      expect(await store.presenceView(owner)).toEqual({
        subscribers: ["both@example.com", "from@example.com"], subscriptions: ["both@example.com", "to@example.com"], pendingIn: [],
      });
      await store.upsert(owner, rosterItem("asks@example.com", { pendingIn: true, pendingInStanza: "<presence type='subscribe'/>" }));
      expect((await store.presenceView(owner)).pendingIn).toEqual(["<presence type='subscribe'/>"]);
      expect(await store.presenceView(newOwner())).toEqual({ subscribers: [], subscriptions: [], pendingIn: [] });
      const answers = await Promise.all(["none", "to", "from", "both", "gone", "x"].map((c) => store.authorises(owner, `${c}@example.com`)));
      expect(answers).toEqual([false, false, true, true, false, false]);
      expect(await store.authorises(other, "x@example.com")).toBe(true);
      expect(await store.authorises("x@example.com", other)).toBe(false);
    });

    it("purges one owner's roster and version, and no one else's", async () => {
      const [owner, other] = [newOwner(), newOwner()];
      await store.upsert(owner, rosterItem("bob@example.com", { subscription: "both" }));
      await store.upsert(owner, rosterItem("carol@example.com"));
      await store.remove(owner, "carol@example.com");
      await store.upsert(other, rosterItem("bob@example.com"));
      await store.purge(owner);
      expect(await store.get(owner)).toEqual({ version: 0, items: [] });
      expect(await store.subscribersOf(owner)).toEqual([]);
      expect(await store.changesSince(owner, 0)).toEqual({ version: 0, changes: [] });
      expect(await store.changesSince(owner, 3)).toBeNull();
      expect(await store.get(other)).toEqual({ version: 1, items: [rosterItem("bob@example.com")] });
      expect(await store.upsert(owner, rosterItem("dave@example.com"))).toEqual({ version: 1, changed: true });
    });

    rosterVersionTests({ store: () => store, open: (keep) => fx.open({ keepTombstones: keep }), newOwner });
  });
}
