// BOSH input (XEP-0124, XEP-0206): each in-order request body becomes the events the TCP stream
// parser produces. The session creation request and a restart request (xmpp:restart='true',
// XEP-0206 §5) open a stream; the payload elements are stanzas or nonzas; type='terminate'
// ends the stream after its payload (XEP-0124 §13). The connection's limits apply to the whole
// body: its payload bytes, the depth of what it carries and, before authentication, its elements.
import { parseElement, XmlError, XmlStreamError, type Element, type StreamParserOptions, type XmlErrorCondition, type XmlLimits } from "@xmppd/xml";
import { NS_CLIENT } from "@xmppd/stanza";
import { NS_HTTPBIND, NS_XBOSH } from "./bosh-body.ts";
import type { StreamInput } from "./transport.ts";

/** Room for the <body/> wrapper and its attributes around the payload. */
export const BODY_OVERHEAD_BYTES = 1024;

/** The limits of one request body given the connection's limits for one stanza. */
export function bodyLimits(limits: XmlLimits): XmlLimits {
  return {
    maxStanzaBytes: limits.maxStanzaBytes + BODY_OVERHEAD_BYTES,
    maxDepth: limits.maxDepth + 1,
    ...(limits.maxElements === undefined ? {} : { maxElements: limits.maxElements + 1 }),
  };
}

/** The body attribute that asks for a stream restart (XEP-0206 §5). */
export function isRestart(body: Element): boolean {
  return body.attrs["xmpp:restart"] === "true" && body.attrs["xmlns:xmpp"] === NS_XBOSH;
}

export class BoshInput implements StreamInput {
  private limits: XmlLimits;
  /** The first body is the session creation request (XEP-0124 §7.1), later ones restarts. */
  private created = false;
  private expectingStart = true;
  private failed = false;

  constructor(private readonly options: StreamParserOptions) {
    this.limits = options.limits;
  }

  write(text: Buffer | string): void {
    if (this.failed) return;
    let body: Element;
    try {
      body = parseElement(text.toString(), bodyLimits(this.limits));
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      return this.fail(err.condition, err.text);
    }
    if (body.name !== "body" || body.attrs.xmlns !== NS_HTTPBIND) return this.fail("invalid-namespace", `expected <body xmlns='${NS_HTTPBIND}'/>`);
    if (!this.created) {
      this.created = true;
      this.expectingStart = false;
      this.options.onStreamStart(headerAttrs(body, body.attrs["xmpp:version"]));
    } else if (this.expectingStart) {
      // XEP-0206 §5: after SASL success, the next body must ask for the restart.
      if (!isRestart(body)) return this.fail("not-well-formed", "expected a restart request (XEP-0206 §5)");
      this.expectingStart = false;
      // A restart body carries no version: the stream keeps the one negotiated at creation.
      this.options.onStreamStart(headerAttrs(body, "1.0"));
    } else if (isRestart(body)) {
      return this.fail("policy-violation", "restart requested before SASL success (XEP-0206 §5)");
    }
    for (const child of body.children) {
      if (this.failed) return;
      if (typeof child !== "string") this.options.onStanza(detach(child));
    }
    if (body.attrs.type === "terminate" && !this.failed) {
      this.failed = true;
      this.options.onStreamEnd();
    }
  }

  setLimits(limits: XmlLimits): void {
    this.limits = limits;
  }

  /** The connection's limits for one stanza now (before or after authentication). */
  currentLimits(): XmlLimits {
    return this.limits;
  }

  restart(): void {
    if (!this.failed) this.expectingStart = true;
  }

  private fail(condition: XmlErrorCondition, text: string): void {
    this.failed = true;
    this.options.onError(new XmlStreamError(condition, text));
  }
}

/** The stream header the creation or restart body stands for (XEP-0206 §4, §5). */
function headerAttrs(body: Element, version: string | undefined): Record<string, string> {
  const { to, from } = body.attrs;
  const lang = body.attrs["xml:lang"];
  return {
    ...(to === undefined ? {} : { to }),
    ...(from === undefined ? {} : { from }),
    // No xmpp:version at creation: a pre-1.0 client, refused as on TCP (RFC 6120 §4.7.5).
    ...(version === undefined ? {} : { version }),
    ...(lang === undefined ? {} : { "xml:lang": lang }),
  };
}

/** A payload element as a top-level element of its own: jabber:client unless it says otherwise. */
function detach(child: Element): Element {
  child.parent = null;
  if (child.attrs.xmlns === undefined) child.attrs = { xmlns: NS_CLIENT, ...child.attrs };
  return child;
}
