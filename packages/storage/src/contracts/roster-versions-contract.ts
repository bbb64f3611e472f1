// RosterStore versioning (XEP-0237): changesSince, tombstones, conditional and concurrent
// upserts. Run inside runRosterStoreContract for every adapter.
import { expect, it } from "vitest";
import type { RosterItem, RosterStore } from "../types.ts";

interface VersionTestKit {
  store(): RosterStore;
  /** Another store over the same database that keeps at most `keep` tombstones per owner. */
  open(keep: number): RosterStore;
  newOwner(): string;
}

/** A roster item with neutral fields, for tests. */
export const rosterItem = (jid: string, over: Partial<RosterItem> = {}): RosterItem => ({
  jid, name: null, subscription: "none", ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [], ...over,
});
const tombstone = (jid: string) => ({ ...rosterItem(jid), removed: true });

export function rosterVersionTests({ store, open, newOwner }: VersionTestKit): void {
  it("serves the changes after a version, removals as tombstones, oldest change first", async () => {
    const owner = newOwner();
    const [a, b, c] = ["a@example.com", "b@example.com", "c@example.com"].map((j) => rosterItem(j, { subscription: "both", groups: ["G"] }));
    await store().upsert(owner, a!);
    await store().upsert(owner, b!);
    const { version: v2 } = await store().upsert(owner, c!);
    const renamed = { ...a!, name: "A" };
    await store().upsert(owner, renamed);
    await store().remove(owner, b!.jid);
    expect(await store().changesSince(owner, v2)).toEqual({ version: 5, changes: [renamed, tombstone(b!.jid)] });
    expect(await store().changesSince(owner, 0)).toEqual({ version: 5, changes: [c, renamed, tombstone(b!.jid)] });
    expect(await store().changesSince(owner, 5)).toEqual({ version: 5, changes: [] });
    // A version the roster never reached (e.g. from before the account was deleted and recreated).
    expect(await store().changesSince(owner, 6)).toBeNull();
  });

  it("refuses versions that are not integers >= 0", async () => {
    const owner = newOwner();
    await expect(store().changesSince(owner, -1)).rejects.toThrow(RangeError);
    await expect(store().changesSince(owner, 1.5)).rejects.toThrow(RangeError);
    await expect(store().upsert(owner, rosterItem("a@example.com"), { ifVersion: Number.NaN })).rejects.toThrow(RangeError);
    expect(await store().count(owner)).toBe(0);
  });

  it("writes with ifVersion only while the roster is still at that version", async () => {
    const owner = newOwner();
    expect(await store().upsert(owner, rosterItem("a@example.com"), { ifVersion: 0 })).toEqual({ version: 1, changed: true });
    expect(await store().upsert(owner, rosterItem("b@example.com"), { ifVersion: 0 })).toEqual({ version: 1, changed: false });
    expect(await store().item(owner, "b@example.com")).toBeNull();
    expect(await store().upsert(owner, rosterItem("b@example.com"), { ifVersion: 1 })).toEqual({ version: 2, changed: true });
  });

  it("gives concurrent changes of one owner distinct, increasing versions", async () => {
    const owner = newOwner();
    // Warm a connection pool so the racing writes really run side by side.
    await Promise.all(Array.from({ length: 8 }, () => store().count(owner)));
    const jids = Array.from({ length: 8 }, (_, i) => `c${i}@example.com`);
    const results = await Promise.all([
      ...jids.map((j) => store().upsert(owner, rosterItem(j))),
      ...jids.map((j) => store().upsert(owner, rosterItem(j))),
    ]);
    expect(results.filter((r) => r.changed)).toHaveLength(8);
    expect(results.filter((r) => r.changed).map((r) => r.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const removed = await Promise.all(jids.slice(0, 4).map((j) => store().remove(owner, j)));
    expect(removed.map((r) => r.version).sort((x, y) => x - y)).toEqual([9, 10, 11, 12]);
    const { version, changes } = (await store().changesSince(owner, 0))!;
    expect(version).toBe(12);
    expect(changes.map((c) => c.jid).sort()).toEqual(jids);
  });

  it("prunes the oldest tombstones and then refuses versions that would miss them", async () => {
    const owner = newOwner();
    const small = open(2);
    for (const j of ["a", "b", "c", "d", "e"]) await small.upsert(owner, rosterItem(`${j}@example.com`));
    for (const j of ["a", "b", "c", "d"]) await small.remove(owner, `${j}@example.com`);
    // Tombstones a..d are at versions 6..9; a (6) and b (7) are pruned.
    expect(await small.changesSince(owner, 0)).toBeNull();
    expect(await small.changesSince(owner, 6)).toBeNull();
    expect(await small.changesSince(owner, 7)).toEqual({ version: 9, changes: [tombstone("c@example.com"), tombstone("d@example.com")] });
    expect(await small.get(owner)).toEqual({ version: 9, items: [rosterItem("e@example.com")] });
    // Bringing an item back makes it live again; it is no tombstone to prune.
    await small.upsert(owner, rosterItem("c@example.com"));
    await small.remove(owner, "e@example.com");
    expect(await small.changesSince(owner, 9)).toEqual({ version: 11, changes: [rosterItem("c@example.com"), tombstone("e@example.com")] });
    expect(await small.changesSince(owner, 7)).toEqual({ version: 11, changes: [tombstone("d@example.com"), rosterItem("c@example.com"), tombstone("e@example.com")] });
  });
}
