// XEP-0160 Best Practices for Handling Offline Messages: storage and flushing are done by the AMP
// worker over the work queue, so this module only advertises the "msgoffline" feature.
import type { XmppModule } from "../host/types.ts";

export const offline: XmppModule = {
  name: "offline",
  xeps: ["XEP-0160"],
  setup: () => ({ discoFeatures: ["msgoffline"] }),
};
