// XEP-0049 Private XML Storage: the account keeps XML in namespaces of its choosing (bookmarks,
// client settings) that only it can read or write. One stored element per namespace and name.
import { NS_PRIVATE, errorReply, iqResult } from "@xmppd/stanza";
import { parseElement, type Element } from "@xmppd/xml";
import { bareOf } from "../account-data.ts";
import type { AccountDataCapability } from "../account-data.ts";
import type { IqContext, XmppModule } from "../host/types.ts";

const keyOf = (el: Element): string => `${el.name} ${String(el.attrs.xmlns)}`;
const childrenOf = (query: Element) => query.children.filter((c): c is Element => typeof c !== "string");

/** §3: a child without a namespace, or in one the XSF reserves (jabber:*), cannot be stored. */
function refusal(children: Element[]): "bad-request" | "not-acceptable" | null {
  if (children.length === 0) return "bad-request";
  for (const c of children) {
    const ns = c.attrs.xmlns;
    if (typeof ns !== "string" || ns === "") return "bad-request";
    if (ns.startsWith("jabber:") || ns.startsWith("http://jabber.org/protocol/")) return "not-acceptable";
  }
  return null;
}

export const privateStorage: XmppModule = {
  name: "private",
  xeps: ["XEP-0049"],
  setup: (ctx) => {
    const data = ctx.capabilities.accountData;
    if (!data) throw new Error("module private needs the accountData capability");
    return {
      iq: [
        { type: "get", xmlns: NS_PRIVATE, name: "query", handler: (iq, ictx) => answer(data, iq, ictx, "get") },
        { type: "set", xmlns: NS_PRIVATE, name: "query", handler: (iq, ictx) => answer(data, iq, ictx, "set") },
      ],
      // XEP-0030: served, so advertised (as Prosody does), though XEP-0049 names no feature.
      discoFeatures: [NS_PRIVATE],
      accountDiscoFeatures: [NS_PRIVATE],
    };
  },
};

async function answer(data: AccountDataCapability, iq: Element, ictx: IqContext, type: "get" | "set"): Promise<Element | null> {
  if (ictx.isServer) return null;
  // §3: only the account itself, from one of its resources.
  if (bareOf(ictx.from) !== ictx.entity) return errorReply(iq, "forbidden");
  const query = iq.getChild("query", NS_PRIVATE)!;
  const children = childrenOf(query);
  const refused = refusal(children);
  if (refused) return errorReply(iq, refused);
  if (type === "set") {
    for (const c of children) await data.xml.put(ictx.entity, "private", keyOf(c), c.toString());
    return iqResult(iq);
  }
  const reply = parseElement(`<query xmlns="${NS_PRIVATE}"/>`);
  // §3.2: what is stored, else the empty element as asked.
  for (const c of children) {
    const stored = await data.xml.get(ictx.entity, "private", keyOf(c));
    reply.append(stored ? parseElement(stored) : parseElement(`<${c.name} xmlns="${String(c.attrs.xmlns)}"/>`));
  }
  return iqResult(iq, reply);
}
