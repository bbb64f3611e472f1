import { describe, expect, it } from "vitest";
import type { Element, XmlStreamError } from "@xmppd/xml";
import { BoshInput } from "./bosh-input.ts";

const HB = "xmlns='http://jabber.org/protocol/httpbind'";
const XB = "xmlns:xmpp='urn:xmpp:xbosh'";

function input(limits = { maxStanzaBytes: 1000, maxDepth: 4, maxElements: 8 }) {
  const events: string[] = [];
  const parser = new BoshInput({
    limits,
    onStreamStart: (attrs) => events.push(`start ${JSON.stringify(attrs)}`),
    onStanza: (el: Element) => events.push(`stanza ${el.toString()}`),
    onStreamEnd: () => events.push("end"),
    onError: (err: XmlStreamError) => events.push(`error ${err.condition}`),
  });
  return { events, parser };
}

describe("BOSH input (XEP-0124, XEP-0206)", () => {
  it("turns the session request into a stream header and payload into stanzas", () => {
    const { events, parser } = input();
    parser.write(`<body ${HB} ${XB} rid='1' to='localhost' xml:lang='de' xmpp:version='1.0'/>`);
    parser.write(`<body ${HB} rid='2' sid='s'><message to='bob@localhost'><body>hi</body></message><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>x</auth></body>`);
    expect(events).toEqual([
      'start {"to":"localhost","version":"1.0","xml:lang":"de"}',
      'stanza <message xmlns="jabber:client" to="bob@localhost"><body>hi</body></message>',
      'stanza <auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">x</auth>',
    ]);
  });

  it("refuses a session request without xmpp:version as a pre-1.0 stream would be", () => {
    const { events, parser } = input();
    parser.write(`<body ${HB} rid='1' to='localhost'/>`);
    expect(events).toEqual(['start {"to":"localhost"}']);
  });

  it("expects a restart request after a restart and refuses one at any other time (XEP-0206 §5)", () => {
    const { events, parser } = input();
    parser.write(`<body ${HB} ${XB} rid='1' to='localhost' xmpp:version='1.0'/>`);
    parser.restart();
    parser.write(`<body ${HB} ${XB} rid='2' sid='s' to='localhost' xmpp:restart='true'/>`);
    expect(events[1]).toBe('start {"to":"localhost","version":"1.0"}');
    parser.write(`<body ${HB} ${XB} rid='3' sid='s' xmpp:restart='true'/>`);
    expect(events[2]).toBe("error policy-violation");
    const other = input();
    other.parser.write(`<body ${HB} ${XB} rid='1' xmpp:version='1.0'/>`);
    other.parser.restart();
    other.parser.write(`<body ${HB} rid='2' sid='s'><iq type='get' id='x'/></body>`);
    expect(other.events[1]).toBe("error not-well-formed");
  });

  it("delivers the payload of a terminate request, then ends the stream", () => {
    const { events, parser } = input();
    parser.write(`<body ${HB} ${XB} rid='1' xmpp:version='1.0'/>`);
    parser.write(`<body ${HB} rid='2' sid='s' type='terminate'><presence type='unavailable'/></body>`);
    expect(events.slice(1)).toEqual(['stanza <presence xmlns="jabber:client" type="unavailable"/>', "end"]);
  });

  it("applies the connection's limits to the body: bytes, depth and elements", () => {
    const big = input();
    big.parser.write(`<body ${HB} rid='1'>${"<a/>".repeat(600)}</body>`);
    expect(big.events).toEqual(["error policy-violation"]);
    const deep = input();
    deep.parser.write(`<body ${HB} rid='1'><a><b><c><d><e/></d></c></b></a></body>`);
    expect(deep.events).toEqual(["error policy-violation"]);
    const many = input();
    many.parser.write(`<body ${HB} rid='1'><a>${"<b/>".repeat(8)}</a></body>`);
    expect(many.events).toEqual(["error policy-violation"]);
    const wrong = input();
    wrong.parser.write("<body rid='1'/>");
    expect(wrong.events).toEqual(["error invalid-namespace"]);
  });
});
