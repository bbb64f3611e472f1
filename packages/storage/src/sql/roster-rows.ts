// What the roster store's statements share: the column list, the row mapping and the pure
// comparisons that decide whether an upsert changes anything.
import type { RosterChange, RosterItem } from "../types.ts";

export const ITEM_COLUMNS = `contact, name, subscription, ask, approved, pending_in, pending_in_stanza, groups, removed`;

export interface RosterRow {
  contact: string;
  name: string | null;
  subscription: RosterItem["subscription"];
  ask: RosterItem["ask"];
  approved: boolean;
  pending_in: boolean;
  pending_in_stanza: string | null;
  groups: string[];
  removed: boolean;
}

export const toItem = (r: RosterRow): RosterItem => ({
  jid: r.contact, name: r.name, subscription: r.subscription, ask: r.ask, approved: r.approved,
  pendingIn: r.pending_in, pendingInStanza: r.pending_in_stanza, groups: r.groups,
});

export const toChange = (r: RosterRow): RosterChange => (r.removed ? { ...toItem(r), removed: true } : toItem(r));

/** Groups deduplicated, keeping the first occurrence's place. */
export const uniqueGroups = (groups: readonly string[]): string[] => [...new Set(groups)];

/** The item as it will be stored: groups deduplicated, absent optionals as null/false. */
export function normaliseItem(item: RosterItem): RosterItem {
  return {
    jid: item.jid, name: item.name ?? null, subscription: item.subscription, ask: item.ask ?? null,
    approved: item.approved === true, pendingIn: item.pendingIn === true,
    pendingInStanza: item.pendingInStanza ?? null, groups: uniqueGroups(item.groups ?? []),
  };
}

/** Field by field; group order counts, since it is stored and returned as given. */
export function sameItem(a: RosterItem, b: RosterItem): boolean {
  return a.jid === b.jid && a.name === b.name && a.subscription === b.subscription && a.ask === b.ask
    && a.approved === b.approved && a.pendingIn === b.pendingIn && a.pendingInStanza === b.pendingInStanza
    && a.groups.length === b.groups.length && a.groups.every((g, i) => g === b.groups[i]);
}

/** Versions are bigint in SQL, read as text so pg (string) and PGlite (bigint or number) agree;
 * a roster never gets near 2^53 changes. */
export const toVersion = (v: string | number | bigint | null | undefined): number => (v == null ? 0 : Number(v));
