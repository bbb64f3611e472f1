import { describe, expect, it } from "vitest";
import { StreamParser } from "./stream-parser.ts";
import { conditionOf, HEADER, record } from "./test-helpers.ts";

const NS_STREAM = "http://etherx.jabber.org/streams";

describe("StreamParser: a normal stream", () => {
  it("emits the header attributes as written, stanzas, and the end", () => {
    const rec = record();
    rec.parser.write(`${HEADER}\n <message to='b@x'><body>hi</body></message> \n<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>`);
    expect(rec.errors).toEqual([]);
    expect(rec.starts).toEqual([{ to: "example.com", version: "1.0", "xml:lang": "en", xmlns: "jabber:client", "xmlns:stream": NS_STREAM }]);
    expect(rec.stanzas.map(String)).toEqual([
      `<message xmlns="jabber:client" to="b@x"><body>hi</body></message>`,
      `<iq xmlns="jabber:client" type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq>`,
    ]);
    expect(rec.ends).toBe(1);
  });

  it("sets attrs.xmlns to the content namespace unless the stanza declares its own", () => {
    const rec = record();
    rec.parser.write(`${HEADER}<presence/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGE=</auth>`);
    expect(rec.stanzas[0]?.attrs.xmlns).toBe("jabber:client");
    expect(rec.stanzas[0]?.is("presence", "jabber:client")).toBe(true);
    expect(rec.stanzas[1]?.attrs.xmlns).toBe("urn:ietf:params:xml:ns:xmpp-sasl");
    expect(rec.stanzas[1]?.getText()).toBe("AGE=");
  });

  it("copies stream-level prefixes a stanza uses onto it", () => {
    const rec = record();
    rec.parser.write(`${HEADER}<stream:error><bad-format xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`);
    const el = rec.stanzas[0];
    expect(el?.toString()).toBe(`<stream:error xmlns="jabber:client" xmlns:stream="${NS_STREAM}"><bad-format xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>`);
    expect(el?.is("error", NS_STREAM)).toBe(true);
  });

  it("ignores whitespace keepalives and accepts a header without XML declaration", () => {
    const rec = record();
    rec.parser.write(HEADER.replace("<?xml version='1.0'?>", "  "));
    for (let i = 0; i < 100; i++) rec.parser.write(" \n\t\r");
    rec.parser.write("<presence/>");
    expect(rec.errors).toEqual([]);
    expect(rec.stanzas.length).toBe(1);
  });

  it("restart() expects a new header, XML declaration included, even within one chunk", () => {
    const names: string[] = [];
    const starts: string[] = [];
    const parser: StreamParser = new StreamParser({
      limits: { maxStanzaBytes: 4096, maxDepth: 8 },
      onStreamStart: (attrs) => starts.push(attrs.to ?? ""),
      onStanza: (el) => {
        names.push(el.name);
        if (el.name === "success") parser.restart(); // RFC 6120 §6.4.6
      },
      onStreamEnd: () => {},
      onError: (err) => names.push(err.condition),
    });
    parser.write(HEADER);
    parser.write(`<success/>${HEADER.replace("example.com", "again.example")}<presence/>`);
    expect(names).toEqual(["success", "presence"]);
    expect(starts).toEqual(["example.com", "again.example"]);
  });

  it("ignores input after </stream:stream>", () => {
    const rec = record();
    rec.parser.write(`${HEADER}</stream:stream><message/>garbage<!--`);
    expect(rec.ends).toBe(1);
    expect(rec.stanzas).toEqual([]);
    expect(rec.errors).toEqual([]);
  });

  it("accepts multi-byte UTF-8 split across writes", () => {
    const rec = record();
    const bytes = Buffer.from(`${HEADER}<message><body>héllo 😀</body></message>`);
    for (const b of bytes) rec.parser.write(Buffer.from([b]));
    expect(rec.stanzas[0]?.getChildText("body")).toBe("héllo 😀");
  });
});

describe("StreamParser: errors carry the RFC 6120 condition", () => {
  it("a mismatched end tag fails when it arrives, not when the stanza would complete", () => {
    for (const chunks of [["<message><body>x</message>"], ["<message><bo", "dy>x</mess", "age>"], ["<a:message xmlns:a='jabber:client'><b/></a:messagex >"]]) {
      const rec = record();
      rec.parser.write(HEADER);
      for (const c of chunks) rec.parser.write(c);
      expect(rec.errors.map((e) => e.condition)).toEqual(["not-well-formed"]);
    }
  });

  it("matches end tags that carry whitespace or split across writes", () => {
    const rec = record();
    rec.parser.write(`${HEADER}<message><bo`);
    rec.parser.write("dy>x</bo");
    rec.parser.write("dy ><x/></message\n>");
    expect(rec.errors).toEqual([]);
    expect(rec.stanzas.map(String)).toEqual([`<message xmlns="jabber:client"><body>x</body><x/></message>`]);
  });

  it.each([
    ["a DOCTYPE before the header", "", "<!DOCTYPE stream [<!ENTITY x 'y'>]>"],
    ["a comment between stanzas", "<!-- c -->", ""],
    ["a comment inside a stanza", "<message><!-- c --></message>", ""],
    ["a processing instruction", "<?foo bar?>", ""],
    ["an XML declaration mid-stream", "<?xml version='1.0'?>", ""],
    ["an undefined entity", "<message><body>&xxe;</body></message>", ""],
    ["an ENTITY declaration", "<message><!ENTITY x 'y'></message>", ""],
  ])("%s -> restricted-xml", (_, body, prefix) => {
    if (prefix === "") expect(conditionOf(body)).toBe("restricted-xml");
    else {
      const rec = record();
      rec.parser.write(prefix + HEADER);
      expect(rec.errors.map((e) => e.condition)).toEqual(["restricted-xml"]);
    }
  });

  it.each([
    ["mismatched tags", "<message><body></message></body>"],
    ["bad attribute syntax", "<message to=bob></message>"],
    ["duplicate attributes", "<message to='a' to='b'/>"],
    ["an unbound prefix", "<message><x:y/></message>"],
    ["an illegal character", "<message>\u0007</message>"],
    ["invalid UTF-8", "<message>\xff</message>"],
    ["a wrong close tag", "</stream:streamx>"],
  ])("%s -> not-well-formed", (_, body) => {
    const bytes = body.includes("\xff") ? Buffer.concat([Buffer.from(HEADER + "<message>"), Buffer.from([0xff]), Buffer.from("</message>")]) : HEADER + body;
    const rec = record();
    rec.parser.write(bytes);
    expect(rec.errors.map((e) => e.condition)).toEqual(["not-well-formed"]);
  });

  it("text between stanzas -> bad-format", () => {
    expect(conditionOf("hello")).toBe("bad-format");
  });

  it.each([
    ["no header, just text", "GET / HTTP/1.1\r\n", "not-well-formed"],
    ["a wrong root element", "<html>", "not-well-formed"],
    ["a wrong stream namespace", "<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong'>", "invalid-namespace"],
    ["a wrong content namespace", `<stream:stream xmlns='jabber:server' xmlns:stream='${NS_STREAM}'>`, "invalid-namespace"],
    ["no content namespace", `<stream:stream xmlns:stream='${NS_STREAM}'>`, "invalid-namespace"],
    ["an unprefixed stream element", `<stream xmlns='${NS_STREAM}'>`, "bad-namespace-prefix"],
    ["an unbound stream prefix", "<stream:stream xmlns='jabber:client'>", "not-well-formed"],
    ["a non-UTF-8 encoding", "<?xml version='1.0' encoding='ISO-8859-1'?>", "unsupported-encoding"],
    ["a malformed XML declaration", "<?xml versio='1.0'?>", "not-well-formed"],
    ["an end tag first", "</stream:stream>", "not-well-formed"],
  ])("header with %s -> %s", (_, header, condition) => {
    const rec = record();
    rec.parser.write(header);
    expect(rec.errors.map((e) => e.condition)).toEqual([condition]);
  });

  it("reports once and then ignores all input", () => {
    const rec = record();
    rec.parser.write(`${HEADER}<!-- x --><message/>`);
    rec.parser.write("<message/><!-- again -->");
    rec.parser.restart();
    rec.parser.write(HEADER);
    expect(rec.errors.length).toBe(1);
    expect(rec.stanzas).toEqual([]);
    expect(rec.starts.length).toBe(1);
  });

  it("accepts a prefix other than 'stream' and matches the close tag to it", () => {
    const rec = record();
    rec.parser.write(`<s:stream xmlns='jabber:client' xmlns:s='${NS_STREAM}'><presence/></s:stream>`);
    expect(rec.errors).toEqual([]);
    expect([rec.stanzas.length, rec.ends]).toEqual([1, 1]);
  });
});
