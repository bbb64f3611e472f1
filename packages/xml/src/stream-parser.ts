// StreamParser: the c2s XML stream layer (RFC 6120 §4, §11). Raw socket chunks go to the
// framer in pieces of at most 64 KiB; each complete unit is decoded (strict UTF-8) and parsed
// by the strict element parser. Top-level stanzas come out self-contained: when a stanza does
// not declare its own default namespace, attrs.xmlns is set to the stream's content namespace
// ("jabber:client"), so el.attrs.xmlns is never undefined for a stanza; stream-level prefixes
// it uses (e.g. xmlns:stream for <stream:error/>) are copied onto it as well.
import { isUtf8 } from "node:buffer";
import type { Element } from "@xmpp/xml";
import { parseOne } from "./element-parser.ts";
import { XmlError, XmlStreamError } from "./errors.ts";
import { Framer, type UnitKind } from "./framer.ts";
import { checkLimits, type XmlLimits } from "./limits.ts";
import { checkDeclaration, NS_STREAM, readHeader, type StreamHeader } from "./stream-header.ts";

export const PIECE_BYTES = 64 * 1024;
const NS_CLIENT = "jabber:client";

export interface StreamParserOptions {
  limits: XmlLimits;
  onStreamStart(attrs: Record<string, string>): void;
  onStanza(el: Element): void;
  onStreamEnd(): void;
  /** Called once; afterwards all input is ignored. */
  onError(err: XmlStreamError): void;
  /** The default namespace the header must declare (RFC 6120 §4.8.2); "jabber:client" unless set. */
  contentNamespace?: string;
}

/** Strings a stream header almost always has, shared by every stream. */
const COMMON = new Map([NS_CLIENT, NS_STREAM, "jabber:server", "stream:stream", "stream"].map((s) => [s, s]));

/** A string that shares no memory with a larger one (see startStream). */
function detach(s: string): string {
  return COMMON.get(s) ?? (s.length < 13 ? s : Buffer.from(s, "utf8").toString("utf8"));
}

export class StreamParser {
  private readonly framer: Framer;
  private readonly contentNamespace: string;
  private header: StreamHeader | null = null;
  private failed = false;

  constructor(private readonly options: StreamParserOptions) {
    this.contentNamespace = options.contentNamespace ?? NS_CLIENT;
    this.framer = new Framer(
      { unit: (kind, bytes) => this.unit(kind, bytes), fail: (err) => this.fail(err) },
      checkLimits(options.limits),
    );
  }

  write(chunk: Buffer | string): void {
    if (this.failed) return;
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (let offset = 0; offset < bytes.length && !this.failed; offset += PIECE_BYTES) {
      this.framer.push(bytes.subarray(offset, offset + PIECE_BYTES));
    }
  }

  /** Applies from the next byte on (e.g. the larger post-authentication limits). */
  setLimits(limits: XmlLimits): void {
    this.framer.limits = checkLimits(limits);
  }

  /** Expect a new stream header (RFC 6120 §5.4.3.3 after STARTTLS, §6.4.6 after SASL success). */
  restart(): void {
    if (this.failed) return;
    this.header = null;
    this.framer.restart();
  }

  private unit(kind: UnitKind, bytes: Buffer): void {
    let stanza: Element | null = null;
    let ended = false;
    try {
      // RFC 6120 §11.6: the stream is UTF-8; invalid sequences are not well-formed XML.
      if (!isUtf8(bytes)) throw new XmlError("not-well-formed", "invalid UTF-8");
      const text = bytes.toString("utf8");
      if (kind === "decl") checkDeclaration(text);
      else if (kind === "header") ended = this.startStream(text);
      else if (kind === "close") this.checkClose(text);
      else stanza = this.parseStanza(text);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      this.fail(new XmlStreamError(err.condition, err.text, { cause: err }));
      return;
    }
    if (stanza !== null) this.options.onStanza(stanza);
    else if (kind === "close" || ended) {
      this.framer.end();
      this.options.onStreamEnd();
    }
  }

  /** Returns true when the header was an empty element (the stream ends at once). */
  private startStream(text: string): boolean {
    const header = readHeader(text, this.contentNamespace);
    // Kept for the stream's life: own copies of what stanzas need. V8 makes a substring of 13
    // characters or more a slice that keeps its whole parent alive, here the header text, for
    // every connection.
    const inherited: Record<string, string> = {};
    for (const [prefix, ns] of Object.entries(header.inherited)) inherited[detach(prefix)] = detach(ns);
    this.header = { name: detach(header.name), attrs: {}, inherited };
    this.options.onStreamStart({ ...header.attrs });
    return text.endsWith("/>");
  }

  private checkClose(text: string): void {
    const name = (this.header as StreamHeader).name;
    const rest = text.slice(2 + name.length, -1);
    if (!text.startsWith(`</${name}`) || !/^[ \t\r\n]*$/.test(rest)) {
      throw new XmlError("not-well-formed", `expected </${name}>`);
    }
  }

  private parseStanza(text: string): Element {
    const { maxDepth, maxElements } = this.framer.limits;
    return parseOne(text, { inherited: (this.header as StreamHeader).inherited, maxDepth, maxElements });
  }

  private fail(err: XmlStreamError): void {
    if (this.failed) return;
    this.failed = true;
    this.framer.end();
    this.options.onError(err);
  }
}
