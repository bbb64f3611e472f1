// XEP-0199 XMPP Ping: the server (or the server on an account's behalf) answers with an empty result.
import { NS_PING, iqResult } from "@xmppd/stanza";
import type { XmppModule } from "../host/types.ts";

export const ping: XmppModule = {
  name: "ping",
  xeps: ["XEP-0199"],
  setup: () => ({
    // XEP-0199 §4.2: the pinged entity returns an IQ result with no payload.
    iq: [{ type: "get", xmlns: NS_PING, name: "ping", handler: (iq) => iqResult(iq) }],
    discoFeatures: [NS_PING],
    accountDiscoFeatures: [NS_PING],
  }),
};
