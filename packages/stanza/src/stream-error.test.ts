import { StreamParser, type XmlStreamError } from "@xmppd/xml";
import { describe, expect, it } from "vitest";
import { STREAM_ERROR_CONDITIONS, type StreamErrorCondition } from "./conditions.ts";
import { streamError } from "./stream-error.ts";

describe("streamError (RFC 6120 §4.9)", () => {
  it("serialises the condition", () => {
    expect(streamError("not-well-formed").toString()).toBe(
      `<stream:error xmlns:stream="http://etherx.jabber.org/streams"><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>`,
    );
  });

  it("adds the optional text, escaped", () => {
    expect(streamError("policy-violation", "stanza larger than 8192 bytes & more").toString()).toBe(
      `<stream:error xmlns:stream="http://etherx.jabber.org/streams"><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>` +
        `<text xmlns="urn:ietf:params:xml:ns:xmpp-streams">stanza larger than 8192 bytes &amp; more</text></stream:error>`,
    );
  });

  it("lists the 25 conditions of §4.9.3", () => {
    expect(STREAM_ERROR_CONDITIONS.length).toBe(25);
    expect(new Set(STREAM_ERROR_CONDITIONS).size).toBe(25);
  });

  it("accepts every condition the XML stream parser reports", () => {
    const seen: StreamErrorCondition[] = [];
    const parser = new StreamParser({
      limits: { maxStanzaBytes: 1024, maxDepth: 4 },
      onStreamStart() {}, onStanza() {}, onStreamEnd() {},
      onError: (err: XmlStreamError) => seen.push(err.condition), // typed: XML conditions are stream conditions
    });
    parser.write("<!DOCTYPE x>");
    expect(seen).toEqual(["restricted-xml"]);
    expect(STREAM_ERROR_CONDITIONS).toContain(seen[0]);
    expect(streamError(seen[0] as StreamErrorCondition).getChild("restricted-xml")).toBeDefined();
  });
});
