// Roster items as XML (RFC 6121 §2.1): the <item/> a client sees, roster pushes, and the
// checks of a roster set (§2.3.3, §2.5.3).
import { tryParseJid } from "@xmppd/jid";
import { NS_CLIENT, NS_ROSTER, type StanzaErrorCondition } from "@xmppd/stanza";
import type { RosterItem } from "@xmppd/storage";
import { xml, type Element } from "@xmppd/xml";

/** Server-configured limits of RFC 6121 §2.3.3 (item names, group names) and roster size. */
export const ROSTER_LIMITS = { nameChars: 1023, groupChars: 1023, items: 1000 } as const;

/** RFC 6121 §2.1.2: what the client sees; pending-in and the stored request stay server-side. */
export function itemElement(item: RosterItem): Element {
  const attrs: Record<string, string> = { jid: item.jid, subscription: item.subscription };
  if (item.name !== null) attrs.name = item.name;
  // §2.1.2.2: ask only while the account's own request is pending; §2.1.2.1: approved only when true.
  if (item.ask) attrs.ask = item.ask;
  if (item.approved) attrs.approved = "true";
  return xml("item", attrs, ...item.groups.map((g) => xml("group", {}, g)));
}

/** §2.1.6 / XEP-0237 §2.3: one changed item (or a removal) with the roster version it made. */
export function rosterPush(change: RosterItem | { jid: string; removed: true }, version: number): Element {
  const item = "removed" in change ? xml("item", { jid: change.jid, subscription: "remove" }) : itemElement(change);
  return xml("iq", { xmlns: NS_CLIENT, type: "set" }, xml("query", { xmlns: NS_ROSTER, ver: String(version) }, item));
}

export type RosterSet =
  | { kind: "remove"; jid: string }
  | { kind: "update"; jid: string; name: string | null; groups: string[] }
  | { kind: "error"; condition: StanzaErrorCondition };

const fail = (condition: StanzaErrorCondition): RosterSet => ({ kind: "error", condition });

/** Reads and checks the one item of a roster set. */
export function parseRosterSet(query: Element): RosterSet {
  const items = query.getChildren("item");
  // RFC 6121 §2.3.3: exactly one item.
  if (items.length !== 1) return fail("bad-request");
  const item = items[0]!;
  const jid = tryParseJid(String(item.attrs.jid ?? ""));
  if (!jid || !item.attrs.jid) return fail("jid-malformed");
  // Rosters hold accounts (bare JIDs); a resource is not a contact.
  if (!jid.isBare()) return fail("bad-request");
  // §2.5.1: subscription='remove' deletes; any other value from a client is ignored (§2.1.2.5).
  if (item.attrs.subscription === "remove") return { kind: "remove", jid: jid.toString() };
  const name = item.attrs.name === undefined ? null : String(item.attrs.name);
  // §2.3.3: a name longer than the server's limit is not-acceptable.
  if (name !== null && [...name].length > ROSTER_LIMITS.nameChars) return fail("not-acceptable");
  const groups = item.getChildren("group").map((g) => g.getText());
  // §2.3.3: an empty or too long group is not-acceptable; the same group twice is bad-request.
  if (groups.some((g) => g.length === 0 || [...g].length > ROSTER_LIMITS.groupChars)) return fail("not-acceptable");
  if (new Set(groups).size !== groups.length) return fail("bad-request");
  return { kind: "update", jid: jid.toString(), name, groups };
}
