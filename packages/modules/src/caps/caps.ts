// XEP-0115 Entity Capabilities for the server: the verification string of its disco#info (§5.1),
// for the gateway's <c/> stream feature (§6.3), which must be recomputed whenever the loaded
// modules change. Forms (XEP-0128) are not supported: the server publishes none.
import { createHash } from "node:crypto";
import { NS_CAPS } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import type { DiscoIdentity } from "../host/types.ts";

/** The node the server's capabilities are published under (§4: a URI naming the software). */
export const SERVER_CAPS_NODE = "urn:xmppd:caps";

/** Identities carry an xml:lang here never; §5.1 still sorts and formats them category/type/lang/name. */
export function capsVerification(identities: readonly DiscoIdentity[], features: readonly string[]): string {
  // §5.1 steps 2-6: identities sorted (by category, type, lang), each "category/type/lang/name<";
  // features sorted, each "feature<"; sorted by octets (i;octet), as Buffer.compare does.
  const octets = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const ids = identities.map((i) => `${i.category}/${i.type}//${i.name ?? ""}`).sort(octets);
  const feats = [...new Set(features)].sort(octets);
  const s = [...ids, ...feats].map((x) => `${x}<`).join("");
  // §5.1 step 8: SHA-1 (the mandatory hash), base64.
  return createHash("sha1").update(s, "utf8").digest("base64");
}

/** The stream feature (§6.3): <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node=... ver=.../>. */
export function capsFeature(node: string, identities: readonly DiscoIdentity[], features: readonly string[]): Element {
  return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node, ver: capsVerification(identities, features) });
}
