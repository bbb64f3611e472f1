// XEP-0030 Service Discovery at the server domain: one identity, the features of every loaded
// module, and no items (components and rooms come later).
import { NS_DISCO_INFO, NS_DISCO_ITEMS, errorReply, iqResult } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import type { IqContext, ModuleContext, XmppModule } from "../host/types.ts";

export const disco: XmppModule = {
  name: "disco",
  xeps: ["XEP-0030"],
  setup: (ctx) => ({
    iq: [
      { type: "get", xmlns: NS_DISCO_INFO, name: "query", handler: (iq, iqCtx) => answer(iq, iqCtx, () => info(ctx)) },
      { type: "get", xmlns: NS_DISCO_ITEMS, name: "query", handler: (iq, iqCtx) => answer(iq, iqCtx, () => xml("query", { xmlns: NS_DISCO_ITEMS })) },
    ],
    discoIdentities: [{ category: "server", type: "im" }],
    discoFeatures: [NS_DISCO_INFO, NS_DISCO_ITEMS],
  }),
};

function answer(iq: Element, iqCtx: IqContext, build: () => Element): Element | null {
  // Accounts' own disco (XEP-0030 §3 on a bare JID) is not offered yet: declining yields
  // service-unavailable from the host.
  if (!iqCtx.isServer) return null;
  // XEP-0030 §3.1/§4.1: we publish no nodes, so any node is unknown.
  if (iq.getChild("query")?.attrs.node !== undefined) return errorReply(iq, "item-not-found");
  return iqResult(iq, build());
}

function info(ctx: ModuleContext): Element {
  const identities = ctx.discoIdentities().map((i) => xml("identity", { category: i.category, type: i.type, ...(i.name ? { name: i.name } : {}) }));
  const features = ctx.discoFeatures().map((v) => xml("feature", { var: v }));
  return xml("query", { xmlns: NS_DISCO_INFO }, ...identities, ...features);
}
