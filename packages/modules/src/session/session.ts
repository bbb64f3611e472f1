// RFC 3921 §3 session establishment, kept for old clients: RFC 6121 Appendix E says a server
// MAY still accept <session/> and reply with success. It is not advertised in disco.
import { NS_SESSION, iqResult } from "@xmppd/stanza";
import type { XmppModule } from "../host/types.ts";

export const session: XmppModule = {
  name: "session",
  xeps: ["RFC 3921"],
  setup: () => ({
    iq: [{ type: "set", xmlns: NS_SESSION, name: "session", handler: (iq) => iqResult(iq) }],
  }),
};
