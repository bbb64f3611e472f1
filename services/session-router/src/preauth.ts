// IQs before authentication, relayed by the gateway (envelope "preauth"): XEP-0077 registration
// and XEP-0078 legacy authentication. Anything else is refused as the gateway would.
import { NS_IQ_AUTH, NS_REGISTER, errorReply } from "@xmppd/stanza";
import { parseElement, type Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";
import { handleLegacyAuth } from "./legacy-auth.ts";
import { handleRegistration } from "./registration.ts";

export async function handlePreauth(ctx: RouterContext, state: ConnState, xmlText: string): Promise<void> {
  let iq: Element;
  try {
    iq = parseElement(xmlText);
  } catch {
    return void ctx.log.warn({ conn: state.conn }, "unparseable preauth envelope dropped");
  }
  if (iq.name === "iq" && iq.getChild("query", NS_REGISTER)) return handleRegistration(ctx, state, iq);
  if (iq.name === "iq" && iq.getChild("query", NS_IQ_AUTH)) return handleLegacyAuth(ctx, state, iq);
  const reply = errorReply(iq, "not-authorized");
  if (reply) sendToGateway(ctx, state.gw, { t: "preauth", conn: state.conn, xml: reply.toString() });
}
