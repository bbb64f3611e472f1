// RFC 6121 §2 roster management with XEP-0237 versioning: get, set, remove, and a push of every
// change to the account's interested resources. Rosters live behind the RosterStore capability;
// the subscription presence a removal causes (§2.5.2) is the router's (rosterRemoved).
import { NS_ROSTER, NS_ROSTER_VER, errorReply, iqResult } from "@xmppd/stanza";
import type { RosterItem, RosterStore } from "@xmppd/storage";
import { xml, type Element } from "@xmppd/xml";
import type { IqContext, IqReply, ModuleCapabilities, XmppModule } from "../host/types.ts";
import { ROSTER_LIMITS, itemElement, parseRosterSet, rosterPush } from "./items.ts";
import { isVisible } from "./subscription.ts";

type Caps = Required<Pick<ModuleCapabilities, "rosters" | "push">> & ModuleCapabilities;

export const roster: XmppModule = {
  name: "roster",
  xeps: ["RFC 6121", "XEP-0237"],
  setup: (ctx) => {
    const { rosters, push } = ctx.capabilities;
    if (!rosters || !push) throw new Error("module roster needs the rosters and push capabilities");
    const caps: Caps = { ...ctx.capabilities, rosters, push };
    return {
      iq: [
        { type: "get", xmlns: NS_ROSTER, name: "query", handler: (iq, ictx) => ownOnly(iq, ictx, () => get(caps, iq, ictx)) },
        { type: "set", xmlns: NS_ROSTER, name: "query", handler: (iq, ictx) => ownOnly(iq, ictx, () => set(caps, iq, ictx)) },
      ],
      // XEP-0237 §3: versioning is announced as a stream feature (by the gateway), not in disco;
      // the roster itself is served, so advertised.
      discoFeatures: [NS_ROSTER],
      accountDiscoFeatures: [NS_ROSTER],
    };
  },
};

/**
 * §2.1.3 / §2.3.3: only the account itself reads or changes its roster (forbidden otherwise).
 * The server has no roster: declined, so the host answers service-unavailable.
 */
function ownOnly(iq: Element, ictx: IqContext, answer: () => Promise<Element | null>): IqReply {
  if (ictx.isServer) return null;
  const bare = ictx.from.split("/")[0];
  return bare === ictx.entity ? answer() : errorReply(iq, "forbidden");
}

async function get(caps: Caps, iq: Element, ictx: IqContext): Promise<Element> {
  const owner = ictx.entity;
  const ver = iq.getChild("query", NS_ROSTER)?.attrs.ver as string | undefined;
  await caps.interested?.(ictx.from);
  const { version, items } = await caps.rosters.get(owner);
  // XEP-0237 §2.4: the client's copy is current: an empty result, and no push follows.
  if (ver !== undefined && ver === String(version)) return iqResult(iq);
  // Otherwise the whole roster (§2.1.4), with its version when the client asked for versioning.
  const attrs: Record<string, string> = { xmlns: NS_ROSTER };
  if (ver !== undefined) attrs.ver = String(version);
  return iqResult(iq, xml("query", attrs, ...items.filter(isVisible).map(itemElement)));
}

async function set(caps: Caps, iq: Element, ictx: IqContext): Promise<Element | null> {
  const owner = ictx.entity;
  const parsed = parseRosterSet(iq.getChild("query", NS_ROSTER)!);
  if (parsed.kind === "error") return errorReply(iq, parsed.condition);
  if (parsed.kind === "remove") {
    const existing = await caps.rosters.item(owner, parsed.jid);
    const current = existing && isVisible(existing) ? existing : null;
    // §2.5.3: removing an item that is not there.
    if (!current) return errorReply(iq, "item-not-found");
    const { version, removed } = await caps.rosters.remove(owner, parsed.jid);
    if (removed) {
      await caps.rosterRemoved?.(owner, current);
      await caps.push(owner, rosterPush({ jid: parsed.jid, removed: true }, version));
    }
    return iqResult(iq);
  }
  return update(caps, iq, owner, parsed);
}

/**
 * §2.3 / §2.4: the client sets name and groups; the subscription state stays the server's. The
 * write is conditional on the version read, so a subscription change by another router in
 * between is never overwritten (it is read again instead).
 */
async function update(caps: Caps, iq: Element, owner: string, parsed: { jid: string; name: string | null; groups: string[] }): Promise<Element | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { version, items } = await caps.rosters.get(owner);
    const existing = items.find((i) => i.jid === parsed.jid);
    // §2.3.3: a roster full to the server's limit takes no new item.
    if (!existing && items.length >= ROSTER_LIMITS.items) return errorReply(iq, "not-allowed");
    const next: RosterItem = {
      jid: parsed.jid, name: parsed.name, groups: parsed.groups,
      subscription: existing?.subscription ?? "none", ask: existing?.ask ?? null, approved: existing?.approved ?? false,
      pendingIn: existing?.pendingIn ?? false, pendingInStanza: existing?.pendingInStanza ?? null,
    };
    const written = await caps.rosters.upsert(owner, next, { ifVersion: version });
    if (!written.changed && written.version !== version) continue;
    // §2.3.2 / §2.4.2: every interested resource, the one that sent the set included.
    if (written.changed && isVisible(next)) await caps.push(owner, rosterPush(next, written.version));
    return iqResult(iq);
  }
  throw new Error(`roster of ${owner} kept changing under a roster set`);
}

/** The stream feature a gateway announces when rosters are versioned (XEP-0237 §3). */
export const rosterVersioningFeature = (): Element => xml("ver", { xmlns: NS_ROSTER_VER });
