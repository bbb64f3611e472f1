// XEP-0202 Entity Time: the server's UTC time; its offset is given as UTC (+00:00), which is
// what a cluster spread over zones can honestly claim.
import { NS_TIME, iqResult } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import type { XmppModule } from "../host/types.ts";

/** §3: <utc/> in XEP-0082 DateTime format (UTC, "Z"), here with milliseconds. */
export function timeElement(now: Date = new Date()) {
  return xml("time", { xmlns: NS_TIME }, xml("tzo", {}, "+00:00"), xml("utc", {}, now.toISOString()));
}

export const time: XmppModule = {
  name: "time",
  xeps: ["XEP-0202"],
  setup: () => ({
    // An account's time is its client's (a full JID): the server declines on its behalf.
    iq: [{ type: "get", xmlns: NS_TIME, name: "time", handler: (iq, ictx) => (ictx.isServer ? iqResult(iq, timeElement()) : null) }],
    discoFeatures: [NS_TIME],
  }),
};
