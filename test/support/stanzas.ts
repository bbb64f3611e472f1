// Exact stanza assertions that ignore what XML itself ignores: attribute order, and the
// jabber:client default namespace a stanza inherits from its stream whether or not it repeats it.
import { parseElement, type Element } from "@xmppd/xml";

export function canonical(el: Element | string, top = true): string {
  const e = typeof el === "string" ? parseElement(el) : el;
  const attrs = Object.entries(e.attrs)
    .filter(([k, v]) => v !== undefined && v !== null && !(top && k === "xmlns" && v === "jabber:client"))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ` ${k}="${String(v)}"`)
    .join("");
  const kids = (e.children as (Element | string)[]).map((c) => (typeof c === "string" ? c : canonical(c, false))).join("");
  return `<${e.name}${attrs}>${kids}</${e.name}>`;
}
