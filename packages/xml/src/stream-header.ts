// The stream header: reading the client's (RFC 6120 §4.2, §4.8) and writing ours.
import { parseStartTag } from "./element-parser.ts";
import { XmlError } from "./errors.ts";
import { escapeAttr } from "./escape.ts";
import { splitQName } from "./namespaces.ts";

export const NS_STREAM = "http://etherx.jabber.org/streams";
export const STREAM_CLOSE = "</stream:stream>";

export interface StreamHeader {
  /** The qualified name as written (for matching the close tag). */
  readonly name: string;
  readonly attrs: Record<string, string>;
  /** Namespace bindings stanzas inherit: prefix -> namespace, "" = the content namespace. */
  readonly inherited: Readonly<Record<string, string>>;
}

const DECL = /^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1([ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\3)?([ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(yes|no)\6)?[ \t\n]*\?>$/;

/** Checks the XML declaration; any other processing instruction is restricted XML. */
export function checkDeclaration(text: string): void {
  const normalized = text.replace(/\r\n?/g, "\n");
  if (!/^<\?xml[ \t\n?]/.test(normalized)) {
    throw new XmlError("restricted-xml", "processing instructions are not allowed (RFC 6120 §11.1)");
  }
  const match = DECL.exec(normalized);
  if (match === null) throw new XmlError("not-well-formed", "malformed XML declaration");
  const encoding = match[4];
  // RFC 6120 §11.6: UTF-8 only.
  if (encoding !== undefined && encoding.toUpperCase() !== "UTF-8") {
    throw new XmlError("unsupported-encoding", `encoding ${encoding} is not supported; use UTF-8`);
  }
}

/** Parses and validates a stream header; `contentNamespace` is the required default namespace. */
export function readHeader(text: string, contentNamespace: string): StreamHeader {
  const { name, attrs } = parseStartTag(text);
  const [prefix, local] = splitQName(name);
  if (local !== "stream") throw new XmlError("not-well-formed", `the root element must be <stream:stream/>, not <${name}/>`);
  const ns = prefix === "" ? attrs.xmlns : attrs[`xmlns:${prefix}`];
  if (ns !== NS_STREAM) throw new XmlError("invalid-namespace", `the stream namespace must be ${NS_STREAM} (RFC 6120 §4.8.1)`);
  // RFC 6120 §4.8.2: the content namespace is the default one, so the stream namespace needs a prefix.
  if (prefix === "") throw new XmlError("bad-namespace-prefix", "the stream element needs a namespace prefix (RFC 6120 §4.9.3.2)");
  if (attrs.xmlns !== contentNamespace) {
    throw new XmlError("invalid-namespace", `the content namespace must be ${contentNamespace} (RFC 6120 §4.9.3.10)`);
  }
  const inherited: Record<string, string> = { "": contentNamespace };
  for (const key in attrs) {
    if (key.startsWith("xmlns:")) inherited[key.slice(6)] = attrs[key] as string;
  }
  return { name, attrs, inherited };
}

/** The text that opens our stream: XML declaration and <stream:stream> start tag. */
export function streamOpen(attrs: Record<string, string>): string {
  const all: Record<string, string> = { "xmlns:stream": NS_STREAM, ...attrs };
  let out = "<?xml version='1.0'?><stream:stream";
  for (const key in all) out += ` ${key}='${escapeAttr(all[key] as string)}'`;
  return `${out}>`;
}
