// XEP-0092 Software Version of the server: name and version. The OS is left out (XEP-0092 §5:
// disclosing it helps attackers).
import { readFileSync } from "node:fs";
import { NS_VERSION, iqResult } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import type { XmppModule } from "../host/types.ts";

const ROOT_PACKAGE = new URL("../../../../package.json", import.meta.url);

/** The version field of the monorepo's root package.json ("0.0.0" when it has none). */
export function serverVersion(): string {
  const pkg = JSON.parse(readFileSync(ROOT_PACKAGE, "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
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
