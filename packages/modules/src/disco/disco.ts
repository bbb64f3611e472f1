// XEP-0030 Service Discovery at the server domain: one identity, the features of every loaded
// module, and no items (components and rooms come later).
import { NS_DISCO_INFO, NS_DISCO_ITEMS, errorReply, iqResult } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import { SERVER_CAPS_NODE, capsVerificationOf } from "../caps/caps.ts";
import type { IqContext, IqReply, ModuleContext, XmppModule } from "../host/types.ts";

export const disco: XmppModule = {
  name: "disco",
  xeps: ["XEP-0030"],
  setup: (ctx) => ({
    iq: [
      { type: "get", xmlns: NS_DISCO_INFO, name: "query", handler: (iq, iqCtx) => answer(ctx, iq, iqCtx, (node) => (node === undefined ? info(ctx) : node === capsNode(ctx) ? info(ctx, node) : ctx.discoNode(node))) },
      { type: "get", xmlns: NS_DISCO_ITEMS, name: "query", handler: (iq, iqCtx) => answer(ctx, iq, iqCtx, (node) => (node === undefined ? xml("query", { xmlns: NS_DISCO_ITEMS }) : null)) },
    ],
    discoIdentities: [{ category: "server", type: "im" }],
    discoFeatures: [NS_DISCO_INFO, NS_DISCO_ITEMS],
    accountDiscoFeatures: [NS_DISCO_INFO],
  }),
};

function answer(ctx: ModuleContext, iq: Element, iqCtx: IqContext, build: (node: string | undefined) => Element | null): IqReply {
  const node = iq.getChild("query")?.attrs.node as string | undefined;
  // An account's disco (XEP-0030 §3 on a bare JID): the nodes a module publishes for accounts
  // (XEP-0013's offline node), and, to the account itself, what is served on its behalf. Others
  // are declined (service-unavailable), so disco tells nobody else whether the account exists.
  if (!iqCtx.isServer) {
    if (node !== undefined) return ctx.accountDiscoNode(node)?.(iq, iqCtx) ?? null;
    if (iq.getChild("query", NS_DISCO_INFO) === undefined) return null; // disco#items: none
    return iqCtx.from.split("/")[0] === iqCtx.entity ? iqResult(iq, accountInfo(ctx)) : null;
  }
  // XEP-0030 §3.2: a node nobody publishes is item-not-found.
  const query = build(node);
  return query ? iqResult(iq, query) : errorReply(iq, "item-not-found");
}

function info(ctx: ModuleContext, node?: string): Element {
  const identities = ctx.discoIdentities().map((i) => xml("identity", { category: i.category, type: i.type, ...(i.name ? { name: i.name } : {}) }));
  const features = ctx.discoFeatures().map((v) => xml("feature", { var: v }));
  return xml("query", { xmlns: NS_DISCO_INFO, ...(node ? { node } : {}) }, ...identities, ...features);
}

/** XEP-0030 §3 on an account's behalf: a registered account, and the features served for it. */
function accountInfo(ctx: ModuleContext): Element {
  return xml("query", { xmlns: NS_DISCO_INFO }, xml("identity", { category: "account", type: "registered" }), ...ctx.accountDiscoFeatures().map((v) => xml("feature", { var: v })));
}

/** XEP-0115 §6.2: the server answers disco#info at "<node>#<ver>", ver computed from its own answer. */
function capsNode(ctx: ModuleContext): string {
  return `${SERVER_CAPS_NODE}#${capsVerificationOf(info(ctx))}`;
}
