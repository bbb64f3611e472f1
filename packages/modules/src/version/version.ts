// XEP-0092 Software Version of the server: name and version. The OS is left out (XEP-0092 §5:
// disclosing it helps attackers).
import { NS_VERSION, iqResult } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import type { XmppModule } from "../host/types.ts";
// Imported rather than read from disk at run time, so that a bundle (npm run build) carries it.
import rootPackage from "../../../../package.json" with { type: "json" };

/** The version field of the monorepo's root package.json ("0.0.0" when it has none). */
export function serverVersion(): string {
  return (rootPackage as { version?: string }).version ?? "0.0.0";
}

export const version: XmppModule = {
  name: "version",
  xeps: ["XEP-0092"],
  setup: () => {
    const current = serverVersion();
    const query = () => xml("query", { xmlns: NS_VERSION }, xml("name", {}, "xmppd"), xml("version", {}, current));
    return {
      // Only the server answers; an account's software is its client's business (declined).
      iq: [{ type: "get", xmlns: NS_VERSION, name: "query", handler: (iq, ctx) => (ctx.isServer ? iqResult(iq, query()) : null) }],
      discoFeatures: [NS_VERSION],
    };
  },
};
