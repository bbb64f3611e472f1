// XEP-0054 vcard-temp: the account's vCard, stored as the client sent it. Anyone may read an
// account's vCard (§3.1: it is public); only the account itself may change it (§3.2).
import { NS_VCARD, errorReply, iqResult } from "@xmppd/stanza";
import { parseElement, xml } from "@xmppd/xml";
import { bareOf } from "../account-data.ts";
import type { XmppModule } from "../host/types.ts";

export const vcard: XmppModule = {
  name: "vcard",
  xeps: ["XEP-0054"],
  setup: (ctx) => {
    const data = ctx.capabilities.accountData;
    if (!data) throw new Error("module vcard needs the accountData capability");
    return {
      iq: [
        {
          type: "get", xmlns: NS_VCARD, name: "vCard",
          // The server's own vCard is not offered: declined (service-unavailable).
          handler: async (iq, ictx) => {
            if (ictx.isServer) return null;
            const stored = await data.xml.get(ictx.entity, "vcard", "");
            // §3.1: no vCard yet is an empty <vCard/>.
            return iqResult(iq, stored ? parseElement(stored) : xml("vCard", { xmlns: NS_VCARD }));
          },
        },
        {
          type: "set", xmlns: NS_VCARD, name: "vCard",
          handler: async (iq, ictx) => {
            if (ictx.isServer) return null;
            if (bareOf(ictx.from) !== ictx.entity) return errorReply(iq, "forbidden");
            const card = iq.getChild("vCard", NS_VCARD)!;
            card.attrs = { xmlns: NS_VCARD };
            // An empty vCard removes it (nothing is left to publish).
            await data.xml.put(ictx.entity, "vcard", "", card.children.length === 0 ? null : card.toString());
            return iqResult(iq);
          },
        },
      ],
      discoFeatures: [NS_VCARD],
      accountDiscoFeatures: [NS_VCARD],
    };
  },
};
