// RFC 7395 framing: every WebSocket message is one complete XML document, either <open/>,
// <close/> or one top-level element (§3.3.3). This turns messages into the same events the TCP
// stream parser produces, with the same limits (size, depth, element count, restricted XML).
import { parseElement, XmlError, type StreamParserOptions, type XmlErrorCondition, type XmlLimits, XmlStreamError } from "@xmppd/xml";
import type { StreamInput } from "./transport.ts";

export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
const NS_CLIENT = "jabber:client";

export class FramedInput implements StreamInput {
  private limits: XmlLimits;
  private expectingOpen = true;
  private failed = false;

  constructor(private readonly options: StreamParserOptions) {
    this.limits = options.limits;
  }

  write(message: Buffer | string): void {
    if (this.failed) return;
    // RFC 7395 §3.2: XMPP messages are text frames of UTF-8.
    if (typeof message !== "string") return this.fail("bad-format", "binary frames are not XMPP (RFC 7395 §3.2)");
    let el;
    try {
      el = parseElement(message, this.limits);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      return this.fail(err.condition, `${err.text} (each message must be one XML element, RFC 7395 §3.3.3)`);
    }
    if (el.name === "open" || el.name === "close") return this.framing(el.name, el.attrs);
    // Before <open/> (or after a restart until the new one) nothing but <open/> may come.
    if (this.expectingOpen) return this.fail("not-well-formed", "expected <open/> (RFC 7395 §3.4)");
    // The stanza carries its namespace itself (§3.3.3); an absent one is the stream's content namespace.
    if (el.attrs.xmlns === undefined) el.attrs = { xmlns: NS_CLIENT, ...el.attrs };
    this.options.onStanza(el);
  }

  setLimits(limits: XmlLimits): void {
    this.limits = limits;
  }

  restart(): void {
    if (!this.failed) this.expectingOpen = true;
  }

  private framing(name: "open" | "close", attrs: Record<string, string>): void {
    if (attrs.xmlns !== NS_FRAMING) return this.fail("invalid-namespace", `<${name}/> must be in ${NS_FRAMING} (RFC 7395 §3.3.2)`);
    if (name === "close") {
      this.failed = true;
      return this.options.onStreamEnd();
    }
    if (!this.expectingOpen) return this.fail("not-well-formed", "<open/> inside an open stream (RFC 7395 §3.7)");
    this.expectingOpen = false;
    this.options.onStreamStart({ ...attrs });
  }

  private fail(condition: XmlErrorCondition, text: string): void {
    this.failed = true;
    this.options.onError(new XmlStreamError(condition, text));
  }
}
