import { describe, expect, it } from "vitest";
import { qualify } from "./ws-transport.ts";

describe("qualify (RFC 7395 §3.3.3: every message declares its namespaces)", () => {
  it("adds jabber:client to a stanza that inherits it on TCP", () => {
    expect(qualify("<message to='a@b'><body>x</body></message>")).toBe("<message xmlns='jabber:client' to='a@b'><body>x</body></message>");
    expect(qualify("<presence/>")).toBe("<presence xmlns='jabber:client'/>");
    expect(qualify("<iq type='result' id='1'/>")).toBe("<iq xmlns='jabber:client' type='result' id='1'/>");
  });

  it("leaves a stanza that declares its namespace alone", () => {
    const text = "<message xmlns=\"jabber:client\" to='a@b'/>";
    expect(qualify(text)).toBe(text);
  });

  it("declares the stream prefix on stream-level elements", () => {
    expect(qualify("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>")).toBe(
      "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
    );
    const declared = "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict/></stream:error>";
    expect(qualify(declared)).toBe(declared);
  });

  it("leaves other elements (SASL, framing) and look-alike names alone", () => {
    for (const text of ["<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", "<messages/>", "<iqx/>"]) expect(qualify(text)).toBe(text);
  });
});
