// XEP-0012 Last Activity: at the server, its uptime (§6); at an account's bare JID, the time since
// its last session ended and that session's last status, for the account itself and contacts
// allowed to see its presence (§4); 0 seconds while it has an available resource.
import { NS_LAST, errorReply, iqResult } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import { bareOf } from "../account-data.ts";
import type { XmppModule } from "../host/types.ts";

const secondsSince = (ms: number, now: number) => String(Math.max(0, Math.floor((now - ms) / 1000)));

export const lastActivity: XmppModule = {
  name: "last",
  xeps: ["XEP-0012"],
  setup: (ctx) => {
    const data = ctx.capabilities.accountData;
    if (!data) throw new Error("module last needs the accountData capability");
    return {
      iq: [{
        type: "get", xmlns: NS_LAST, name: "query",
        handler: async (iq, ictx) => {
          const now = Date.now();
          if (ictx.isServer) return iqResult(iq, xml("query", { xmlns: NS_LAST, seconds: secondsSince(data.startedAt, now) }));
          const requester = bareOf(ictx.from);
          // §4: only to someone allowed to see the account's presence (forbidden otherwise).
          if (requester !== ictx.entity && !(await data.rosters.authorises(ictx.entity, requester))) return errorReply(iq, "forbidden");
          if (await data.isAvailable(ictx.entity)) return iqResult(iq, xml("query", { xmlns: NS_LAST, seconds: "0" }));
          const last = await data.last.get(ictx.entity);
          if (!last) return errorReply(iq, "item-not-found");
          return iqResult(iq, xml("query", { xmlns: NS_LAST, seconds: secondsSince(last.at.getTime(), now) }, last.status || null));
        },
      }],
      discoFeatures: [NS_LAST],
      accountDiscoFeatures: [NS_LAST],
    };
  },
};
