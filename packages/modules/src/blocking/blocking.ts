// XEP-0191 Blocking Command: the account's block list (§5.2), block (§5.3), unblock (§5.4) and
// unblock all (§5.5), each change pushed to the resources that asked for the list. Enforcement
// (what happens to stanzas to and from a blocked JID) is the router's: it reads the list from
// its cache in the same round trip as the recipient's sessions.
import { tryParseJid } from "@xmppd/jid";
import { NS_BLOCKING, errorReply, iqResult } from "@xmppd/stanza";
import type { BlockStore } from "@xmppd/storage";
import { xml, type Element } from "@xmppd/xml";
import type { IqContext, IqReply, XmppModule } from "../host/types.ts";

/** Items per block list: the list is read on every message to the account. */
export const BLOCKLIST_LIMIT = 1000;

/** What the router does after a stored change (cache, presence, pushes). */
export interface BlockChange {
  owner: string;
  /** JIDs newly blocked, and newly unblocked (prepared). */
  blocked: string[];
  unblocked: string[];
  /** The push for the resources that requested the list (§5.3, §5.4, §5.5), without to and id. */
  push: Element;
}

export interface BlockingCapability {
  readonly store: BlockStore;
  /** The resource retrieved the list: it gets pushes from now on (§5.3). */
  requested(fullJid: string): Promise<void>;
  changed(change: BlockChange): Promise<void>;
}

export const blocking: XmppModule = {
  name: "blocking",
  xeps: ["XEP-0191"],
  setup: (ctx) => {
    const cap = ctx.capabilities.blocking;
    if (!cap) throw new Error("module blocking needs the blocking capability");
    return {
      iq: [
        { type: "get", xmlns: NS_BLOCKING, name: "blocklist", handler: (iq, ictx) => ownOnly(iq, ictx, () => list(cap, iq, ictx)) },
        { type: "set", xmlns: NS_BLOCKING, name: "block", handler: (iq, ictx) => ownOnly(iq, ictx, () => block(cap, iq, ictx.entity)) },
        { type: "set", xmlns: NS_BLOCKING, name: "unblock", handler: (iq, ictx) => ownOnly(iq, ictx, () => unblock(cap, iq, ictx.entity)) },
      ],
      discoFeatures: [NS_BLOCKING],
      accountDiscoFeatures: [NS_BLOCKING],
    };
  },
};

/** Only the account itself manages its list; the server has none (declined: service-unavailable). */
function ownOnly(iq: Element, ictx: IqContext, answer: () => Promise<Element | null>): IqReply {
  if (ictx.isServer) return null;
  return ictx.from.split("/")[0] === ictx.entity ? answer() : errorReply(iq, "forbidden");
}

const itemsOf = (jids: readonly string[]) => jids.map((jid) => xml("item", { jid }));

async function list(cap: BlockingCapability, iq: Element, ictx: IqContext): Promise<Element> {
  await cap.requested(ictx.from);
  const { jids } = await cap.store.get(ictx.entity);
  return iqResult(iq, xml("blocklist", { xmlns: NS_BLOCKING }, ...itemsOf(jids)));
}

/** The prepared JIDs of the command's items; null when one does not prepare. */
function parseItems(command: Element): string[] | null {
  const out: string[] = [];
  for (const item of command.getChildren("item")) {
    const jid = tryParseJid(String(item.attrs.jid ?? ""));
    if (!jid) return null;
    if (!out.includes(jid.toString())) out.push(jid.toString());
  }
  return out;
}

async function block(cap: BlockingCapability, iq: Element, owner: string): Promise<Element | null> {
  const jids = parseItems(iq.getChild("block", NS_BLOCKING)!);
  if (jids === null) return errorReply(iq, "jid-malformed");
  // §5.3: a block command without an item is a bad request.
  if (jids.length === 0) return errorReply(iq, "bad-request");
  const current = await cap.store.get(owner);
  if (new Set([...current.jids, ...jids]).size > BLOCKLIST_LIMIT) return errorReply(iq, "not-allowed", { text: `at most ${BLOCKLIST_LIMIT} blocked JIDs` });
  const { added } = await cap.store.block(owner, jids);
  await cap.changed({ owner, blocked: added, unblocked: [], push: xml("block", { xmlns: NS_BLOCKING }, ...itemsOf(jids)) });
  return iqResult(iq);
}

async function unblock(cap: BlockingCapability, iq: Element, owner: string): Promise<Element | null> {
  const jids = parseItems(iq.getChild("unblock", NS_BLOCKING)!);
  if (jids === null) return errorReply(iq, "jid-malformed");
  // §5.5: an empty unblock unblocks every JID, and its push is empty too.
  const { removed } = await cap.store.unblock(owner, jids.length === 0 ? "all" : jids);
  await cap.changed({ owner, blocked: [], unblocked: removed, push: xml("unblock", { xmlns: NS_BLOCKING }, ...itemsOf(jids)) });
  return iqResult(iq);
}
