// XEP-0079 Advanced Message Processing as a router module: discovery only (DP-13). The rules
// themselves run in the router's message path (validation) and in the AMP worker (everything
// that reads the recipient's state), which import this folder's pure core directly.
import { NS_AMP } from "@xmppd/stanza";
import type { XmppModule } from "../host/types.ts";
import { AMP_ROOT_FEATURE, ampNodeInfo } from "./disco.ts";

export const amp: XmppModule = {
  name: "amp",
  xeps: ["XEP-0079"],
  setup: () => ({
    discoFeatures: [AMP_ROOT_FEATURE],
    // DP-13: only this exact node; '…amp?action=drop' and the like are item-not-found.
    discoNodes: { [NS_AMP]: ampNodeInfo },
  }),
};
