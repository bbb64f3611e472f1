import { describe, expect, it } from "vitest";
import type { RosterItem } from "../types.ts";
import { normaliseItem, sameItem, toChange, toVersion, uniqueGroups, type RosterRow } from "./roster-rows.ts";

const item: RosterItem = {
  jid: "bob@example.com", name: "Bob", subscription: "both", ask: null, approved: false,
  pendingIn: false, pendingInStanza: null, groups: ["A", "B"],
};

describe("roster rows", () => {
  it("deduplicates groups keeping the first occurrence's place", () => {
    expect(uniqueGroups(["b", "a", "b", "c", "a"])).toEqual(["b", "a", "c"]);
    expect(uniqueGroups([])).toEqual([]);
  });

  it("compares every field, group order included", () => {
    expect(sameItem(item, normaliseItem({ ...item, groups: ["A", "B", "A"] }))).toBe(true);
    expect(sameItem(item, { ...item, groups: ["B", "A"] })).toBe(false);
    expect(sameItem(item, { ...item, groups: ["A"] })).toBe(false);
    for (const edit of [{ jid: "x@example.com" }, { name: null }, { subscription: "to" as const }, { ask: "subscribe" as const },
      { approved: true }, { pendingIn: true }, { pendingInStanza: "<presence/>" }]) {
      expect(sameItem(item, { ...item, ...edit })).toBe(false);
    }
  });

  it("marks only tombstones as removed and reads versions of every driver's type", () => {
    const row: RosterRow = { contact: "bob@example.com", name: null, subscription: "none", ask: null, approved: false,
      pending_in: false, pending_in_stanza: null, groups: [], removed: false };
    expect(toChange(row)).not.toHaveProperty("removed");
    expect(toChange({ ...row, removed: true })).toMatchObject({ jid: "bob@example.com", removed: true });
    expect([toVersion("12"), toVersion(12n), toVersion(12), toVersion(undefined)]).toEqual([12, 12, 12, 0]);
  });
});
