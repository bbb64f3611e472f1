// XML Namespaces 1.0 checks for one element: declarations are legal, every prefix is bound,
// and no two attributes share an expanded name. Called only for names that contain a ':' or
// declare a namespace, so the common stanza never pays for it.
import { notWellFormed } from "./errors.ts";

export const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

/** Prefix bindings declared on one element (null: none). */
export type Bindings = Record<string, string> | null;

/** Finds the namespace bound to a prefix in scope (innermost first), or undefined. */
export type Resolve = (prefix: string) => string | undefined;

/** Validates the xmlns and xmlns:p attributes of one element and returns its prefix bindings. */
export function collectBindings(attrs: Record<string, string>): Bindings {
  let bindings: Bindings = null;
  for (const name in attrs) {
    if (!name.startsWith("xmlns")) continue;
    const value = attrs[name] as string;
    if (name === "xmlns") {
      if (value === XML_NS || value === XMLNS_NS) throw notWellFormed(`the default namespace cannot be ${value}`);
    } else if (name.charCodeAt(5) === 0x3a) {
      checkPrefixDeclaration(name.slice(6), value);
      (bindings ??= {})[name.slice(6)] = value;
    }
  }
  return bindings;
}

function checkPrefixDeclaration(prefix: string, value: string): void {
  if (prefix === "xmlns") throw notWellFormed("the prefix xmlns cannot be declared");
  if (prefix === "xml") {
    if (value !== XML_NS) throw notWellFormed("the prefix xml cannot be rebound");
    return;
  }
  if (value === "") throw notWellFormed(`prefix ${prefix} cannot be undeclared in XML 1.0`);
  if (value === XML_NS || value === XMLNS_NS) throw notWellFormed(`${value} cannot be bound to ${prefix}`);
}

/** Splits a QName, throwing if it is not one (Namespaces 1.0 §4). */
export function splitQName(qname: string): [prefix: string, local: string] {
  const colon = qname.indexOf(":");
  if (colon === -1) return ["", qname];
  if (colon === 0 || colon === qname.length - 1 || qname.indexOf(":", colon + 1) !== -1) {
    throw notWellFormed(`${qname} is not a qualified name`);
  }
  return [qname.slice(0, colon), qname.slice(colon + 1)];
}

function namespaceOf(prefix: string, resolve: Resolve): string {
  if (prefix === "xml") return XML_NS;
  if (prefix === "xmlns") throw notWellFormed("the prefix xmlns is reserved");
  const ns = resolve(prefix);
  if (ns === undefined) throw notWellFormed(`namespace prefix ${prefix} is not bound`);
  return ns;
}

/** Checks the element's and its attributes' prefixes (declarations on the element included). */
export function checkNames(name: string, attrs: Record<string, string>, resolve: Resolve): void {
  const [prefix] = splitQName(name);
  if (prefix !== "") namespaceOf(prefix, resolve);
  let seen: Set<string> | null = null;
  for (const attr in attrs) {
    const [p, local] = splitQName(attr);
    if (p === "" || p === "xmlns") continue;
    const expanded = `${namespaceOf(p, resolve)} ${local}`;
    seen ??= new Set();
    if (seen.has(expanded)) throw notWellFormed(`attribute {${expanded}} appears twice`);
    seen.add(expanded);
  }
}
