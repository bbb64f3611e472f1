// XEP-0013 Flexible Offline Message Retrieval, the pure part: what a request asks for, and the
// replies and message marks, shared by the router (which checks and forwards requests) and the
// AMP worker (which owns the offline store and answers them).
import { NS_DATA_FORMS, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_OFFLINE, iqResult } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";

export type FlexRequest =
  | { op: "info" }
  | { op: "items" }
  | { op: "view"; nodes: string[] }
  | { op: "remove"; nodes: string[] }
  | { op: "fetch" }
  | { op: "purge" };

/** One stored message as the headers show it (§2.3): its opaque node and its sender's full JID. */
export interface FlexHeader {
  node: string;
  sender: string;
}

const elements = (el: Element): Element[] => (el.children as (Element | string)[]).filter((c): c is Element => typeof c !== "string");

/**
 * The request an IQ makes, or null when it is not a well-formed XEP-0013 request (bad-request).
 * §2.4-§2.7: view and fetch are gets, remove and purge are sets; one IQ names one action.
 */
export function parseFlexRequest(iq: Element): FlexRequest | null {
  const [child, ...rest] = elements(iq);
  if (!child || rest.length > 0) return null;
  const type = iq.attrs.type;
  const xmlns = child.attrs.xmlns;
  if (child.name === "query" && (xmlns === NS_DISCO_INFO || xmlns === NS_DISCO_ITEMS)) {
    if (type !== "get" || child.attrs.node !== NS_OFFLINE) return null;
    return { op: xmlns === NS_DISCO_INFO ? "info" : "items" };
  }
  if (child.name !== "offline" || xmlns !== NS_OFFLINE) return null;
  const kids = elements(child);
  if (kids.length === 1 && kids[0]!.name === "fetch") return type === "get" ? { op: "fetch" } : null;
  if (kids.length === 1 && kids[0]!.name === "purge") return type === "set" ? { op: "purge" } : null;
  if (kids.length === 0 || kids.some((k) => k.name !== "item" || typeof k.attrs.node !== "string" || k.attrs.node === "")) return null;
  const actions = new Set(kids.map((k) => k.attrs.action));
  const nodes = [...new Set(kids.map((k) => String(k.attrs.node)))];
  if (actions.size !== 1) return null;
  if (actions.has("view")) return type === "get" ? { op: "view", nodes } : null;
  if (actions.has("remove")) return type === "set" ? { op: "remove", nodes } : null;
  return null;
}

/** §2.2: the offline node's identity and feature, with the count as XEP-0128 extended info. */
export function infoQuery(count: number): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node: NS_OFFLINE },
    xml("identity", { category: "automation", type: "message-list" }),
    xml("feature", { var: NS_OFFLINE }),
    xml(
      "x",
      { xmlns: NS_DATA_FORMS, type: "result" },
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS_OFFLINE)),
      xml("field", { var: "number_of_messages" }, xml("value", {}, String(count))),
    ),
  );
}

/** §2.3: one item per stored message; `jid` is the user himself, `name` the sender. */
export function itemsQuery(owner: string, headers: readonly FlexHeader[]): Element {
  return xml("query", { xmlns: NS_DISCO_ITEMS, node: NS_OFFLINE }, ...headers.map((h) => xml("item", { jid: owner, node: h.node, name: h.sender })));
}

/** The result for a request that has been carried out. */
export function flexResult(iq: Element, request: FlexRequest, answer?: { count?: number; owner?: string; headers?: readonly FlexHeader[] }): Element {
  if (request.op === "info") return iqResult(iq, infoQuery(answer?.count ?? 0));
  if (request.op === "items") return iqResult(iq, itemsQuery(answer?.owner ?? "", answer?.headers ?? []));
  return iqResult(iq);
}

/** §2.4, §2.6: each message sent on request carries its node, so the client can tell them apart. */
export function markRetrieved(message: Element, node: string): Element {
  message.append(xml("offline", { xmlns: NS_OFFLINE }, xml("item", { node })));
  return message;
}
