// XEP-0115 Entity Capabilities for the server: the verification string of its disco#info (§5),
// computed from the disco#info <query/> itself (identities, features and XEP-0128 forms), so
// the <c/> stream feature (§6.3), the node#ver answer (§6.2) and the answer at the root agree.
import { createHash } from "node:crypto";
import { NS_CAPS, NS_DATA_FORMS } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import type { DiscoIdentity } from "../host/types.ts";

/** The node the server's capabilities are published under (§4: a URI naming the software). */
export const SERVER_CAPS_NODE = "urn:xmppd:caps";

/** What a router announces for the gateways' <c/> stream feature. */
export interface ServerCaps {
  node: string;
  ver: string;
}

type CapsIdentity = DiscoIdentity & { lang?: string };

// §5.1 "sorted using i;octet" (RFC 4790): byte order, as Buffer.compare gives it.
const octets = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const children = (el: Element, name: string) => el.getChildren(name);

/** §5.1 steps 1-8 for identities, features and forms given as values. */
export function capsVerification(identities: readonly CapsIdentity[], features: readonly string[], forms: readonly Element[] = []): string {
  // Steps 2-3: identities "category/type/lang/name<", sorted (by category, type, then lang).
  const ids = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}<`).sort(octets);
  // Steps 4-5: features "var<", sorted.
  const feats = [...new Set(features)].sort(octets).map((f) => `${f}<`);
  return createHash("sha1").update([...ids, ...feats, ...formStrings(forms)].join(""), "utf8").digest("base64");
}

/** §5.4 step 3.6-3.7: each extended-info form, by FORM_TYPE; fields by var; values sorted. */
function formStrings(forms: readonly Element[]): string[] {
  const typed = forms
    .map((form) => ({ form, type: fieldValues(form, "FORM_TYPE")[0] }))
    .filter((f): f is { form: Element; type: string } => f.type !== undefined)
    .sort((a, b) => octets(a.type, b.type));
  return typed.flatMap(({ form, type }) => {
    const fields = children(form, "field")
      .map((f) => String(f.attrs.var ?? ""))
      .filter((v) => v !== "FORM_TYPE" && v !== "")
      .sort(octets);
    return [`${type}<`, ...fields.flatMap((v) => [`${v}<`, ...fieldValues(form, v).sort(octets).map((x) => `${x}<`)])];
  });
}

function fieldValues(form: Element, name: string): string[] {
  const field = children(form, "field").find((f) => f.attrs.var === name);
  return field ? children(field, "value").map((v) => v.text()) : [];
}

/** The verification string of a disco#info <query/> as the server answers it. */
export function capsVerificationOf(query: Element): string {
  const identities = children(query, "identity").map((i) => ({
    category: String(i.attrs.category ?? ""),
    type: String(i.attrs.type ?? ""),
    ...(i.attrs["xml:lang"] ? { lang: String(i.attrs["xml:lang"]) } : {}),
    ...(i.attrs.name ? { name: String(i.attrs.name) } : {}),
  }));
  const features = children(query, "feature").map((f) => String(f.attrs.var ?? ""));
  const forms = children(query, "x").filter((x) => x.attrs.xmlns === NS_DATA_FORMS && x.attrs.type === "result");
  return capsVerification(identities, features, forms);
}

/** The stream feature (§6.3): <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node=... ver=.../>. */
export function capsElement(caps: ServerCaps): Element {
  return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: caps.node, ver: caps.ver });
}

/** The stream feature for identities and features given as values. */
export function capsFeature(node: string, identities: readonly DiscoIdentity[], features: readonly string[]): Element {
  return capsElement({ node, ver: capsVerification(identities, features) });
}
