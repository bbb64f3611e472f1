// XEP-0160 Best Practices for Handling Offline Messages and XEP-0013 Flexible Offline Message
// Retrieval. Storage and flushing are the AMP worker's (it owns the offline store), so this
// module advertises "msgoffline" and, when the router lends the offline capability, checks
// XEP-0013 requests and forwards them to the worker, which answers the requester.
import { NS_OFFLINE, errorReply } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import { FORWARDED, type IqContext, type OfflineCapability, type XmppModule } from "../host/types.ts";
import { parseFlexRequest } from "./flexible.ts";

export const offline: XmppModule = {
  name: "offline",
  xeps: ["XEP-0160", "XEP-0013"],
  setup: (ctx) => {
    const cap = ctx.capabilities.offline;
    if (!cap) return { discoFeatures: ["msgoffline"] };
    const handler = (iq: Element, iqCtx: IqContext) => forward(cap, iq, iqCtx);
    return {
      // §2.1: the feature at the server; §2.2-§2.7: the node and the commands, at the account.
      discoFeatures: ["msgoffline", NS_OFFLINE],
      accountDiscoNodes: { [NS_OFFLINE]: handler },
      accountDiscoFeatures: [NS_OFFLINE],
      iq: [
        { type: "get", xmlns: NS_OFFLINE, name: "offline", handler },
        { type: "set", xmlns: NS_OFFLINE, name: "offline", handler },
      ],
    };
  },
};

async function forward(cap: OfflineCapability, iq: Element, iqCtx: IqContext): Promise<Element | null | typeof FORWARDED> {
  // §2.3-§2.7: only the user's own resources may see or change its offline messages; the
  // requests are made without 'to' (to the account), so a server-addressed one is not for us.
  if (iqCtx.isServer) return null;
  if (bareOf(iqCtx.from) !== iqCtx.entity) return errorReply(iq, "forbidden");
  if (!parseFlexRequest(iq)) return errorReply(iq, "bad-request");
  await cap.forward(iq, iqCtx.from);
  return FORWARDED;
}

function bareOf(full: string): string {
  const slash = full.indexOf("/");
  return slash < 0 ? full : full.slice(0, slash);
}
