// XEP-0280 Message Carbons: a resource enables or disables carbons for itself (§4, §5); the
// router then copies its account's eligible chat messages to it, wrapped per §6 (received) and
// §7 (sent) in a XEP-0297 <forwarded/>. Which messages are eligible is decided here, purely.
import { normalType } from "@xmppd/routing";
import { NS_CARBONS, NS_CLIENT, NS_FORWARD, NS_HINTS, errorReply, iqResult } from "@xmppd/stanza";
import { parseElement, xml, type Element } from "@xmppd/xml";
import type { IqContext, XmppModule } from "../host/types.ts";

export interface CarbonsCapability {
  /** Records the resource's choice (a flag on its session) for every router to see. */
  set(fullJid: string, enabled: boolean): Promise<void>;
}

export const carbons: XmppModule = {
  name: "carbons",
  xeps: ["XEP-0280"],
  setup: (ctx) => {
    const cap = ctx.capabilities.carbons;
    if (!cap) throw new Error("module carbons needs the carbons capability");
    const toggle = (enabled: boolean) => async (iq: Element, ictx: IqContext) => {
      // §4: sent by the resource itself, to its account or its server (no 'to' is the account).
      const own = ictx.isServer ? ictx.from.split("@")[1]?.split("/")[0] === ictx.entity : ictx.from.split("/")[0] === ictx.entity;
      if (!own) return errorReply(iq, "forbidden");
      await cap.set(ictx.from, enabled);
      return iqResult(iq);
    };
    return {
      iq: [
        { type: "set", xmlns: NS_CARBONS, name: "enable", handler: toggle(true) },
        { type: "set", xmlns: NS_CARBONS, name: "disable", handler: toggle(false) },
      ],
      discoFeatures: [NS_CARBONS],
      accountDiscoFeatures: [NS_CARBONS],
    };
  },
};

const IM_PAYLOADS: Record<string, readonly string[]> = {
  "urn:xmpp:receipts": ["request", "received"], // XEP-0184
  "http://jabber.org/protocol/chatstates": ["active", "inactive", "gone", "composing", "paused"], // XEP-0085
  "urn:xmpp:chat-markers:0": ["markable", "received", "displayed", "acknowledged"], // XEP-0333
};

/**
 * XEP-0280 §6.1: not <private/> (§7.1) nor XEP-0334 <no-copy/>, not itself a carbon, not
 * groupchat; and of type chat, or normal with a body, or carrying an IM payload (receipts, chat
 * states, markers). Errors are not copied: the router keeps no record of what they answer.
 */
export function isCarbonEligible(el: Element): boolean {
  const type = normalType(el.attrs.type as string | undefined);
  if (type === "groupchat" || type === "error" || type === "headline") return false;
  if (el.getChild("private", NS_CARBONS) || el.getChild("no-copy", NS_HINTS)) return false;
  if (el.getChild("received", NS_CARBONS) || el.getChild("sent", NS_CARBONS)) return false;
  if (type === "chat") return true;
  if (type === "normal" && el.getChild("body")) return true;
  return el.children.some((c) => typeof c !== "string" && (IM_PAYLOADS[c.attrs.xmlns as string] ?? []).includes(c.name));
}

/**
 * §6 / §7: the copy for one of the account's resources: from the account's bare JID, to that
 * resource, the original (as routed, its own from and to) inside <forwarded/>.
 */
export function carbonCopy(kind: "received" | "sent", original: string, account: string, to: string, type: string | undefined): Element {
  const inner = parseElement(original);
  inner.attrs.xmlns = NS_CLIENT;
  return xml(
    "message",
    { xmlns: NS_CLIENT, from: account, to, ...(type ? { type } : {}) },
    xml(kind, { xmlns: NS_CARBONS }, xml("forwarded", { xmlns: NS_FORWARD }, inner)),
  );
}
