// XEP-0115 §6.3 for the gateways: this router's capabilities, the verification string of the
// disco#info it actually answers at the server (asked of its own module host, so identities,
// features and forms are exactly what a client sees). Announced with the heartbeat, from which
// the gateways take the <c/> stream feature they offer after authentication.
import { SERVER_CAPS_NODE, capsVerificationOf, type ServerCaps } from "@xmppd/modules";
import { NS_DISCO_INFO } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import type { RouterContext } from "./context.ts";

export async function serverCaps(ctx: RouterContext): Promise<ServerCaps | null> {
  const [domain] = ctx.domains;
  if (domain === undefined) return null;
  const iq = xml("iq", { type: "get", id: "caps", from: domain, to: domain }, xml("query", { xmlns: NS_DISCO_INFO }));
  const query = (await ctx.modules.handleIq(iq, { entity: domain, isServer: true, from: domain }))?.getChild("query", NS_DISCO_INFO);
  return query ? { node: SERVER_CAPS_NODE, ver: capsVerificationOf(query) } : null;
}
