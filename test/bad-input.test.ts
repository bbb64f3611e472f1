// Invariant 4: bad input gets the right stream error and never harms other sessions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTopology, type Topology } from "./support/topology.ts";
import { connect, isChat, rawConnect, xml, type TestClient } from "./support/clients.ts";
import { rawTls, type TlsWay } from "./support/raw-tls.ts";

let topo: Topology;
let port: number;
let bystander: TestClient;
let peer: TestClient;

const HEADER = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

beforeAll(async () => {
  topo = await startTopology({ gateways: 1, routers: 1, ampWorkers: 1 });
  port = topo.of("gateway")[0]!.c2sPort;
  await topo.addUser("alice", "alice-pw");
  await topo.addUser("bob", "bob-pw");
  await topo.addUser("mallory", "mallory-pw");
  bystander = await connect({ port, username: "alice", password: "alice-pw", resource: "calm" });
  peer = await connect({ port, username: "bob", password: "bob-pw", resource: "calm" });
});

afterAll(async () => {
  await bystander?.stop();
  await peer?.stop();
  await topo?.stop();
});

async function bystanderStillChats(tag: string): Promise<void> {
  await bystander.send(xml("message", { to: "bob@localhost/calm", type: "chat", id: tag }, xml("body", {}, tag)));
  const got = await peer.next((el) => isChat("alice@localhost")(el) && el.getChildText("body") === tag);
  expect(got.attrs.from).toBe("alice@localhost/calm");
}

function streamError(condition: string): RegExp {
  return new RegExp(`<stream:error[^>]*><${condition} xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]\\s*/>`);
}

describe("stream errors", () => {
  it("malformed XML -> not-well-formed", async () => {
    const c = await rawConnect(port);
    c.write(HEADER);
    await c.until(/<stream:features>/);
    c.write("<message><body>unclosed</message>");
    await c.until(streamError("not-well-formed"));
    await c.closed;
    await bystanderStillChats("after-malformed");
  });

  // RFC 6120 §4.9.3.13: input that cannot be XML any more is answered at once, long before the
  // 10 s negotiation step would end the stream.
  const GARBAGE_ANSWER = /<stream:error xmlns:stream="http:\/\/etherx.jabber.org\/streams"><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">expected an element name after '&lt;'<\/text><\/stream:error><\/stream:stream>$/;
  const soon = <T>(p: Promise<T>, what: string) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within 5 s`)), 5000))]);

  it("garbage after the stream header -> not-well-formed and the TCP close at once", async () => {
    const c = await rawConnect(port);
    c.write(HEADER);
    await c.until(/<\/stream:features>/);
    c.write("<<<this is not xml>>>");
    const all = await c.until(/<\/stream:stream>/);
    expect(all).toMatch(GARBAGE_ANSWER);
    await soon(c.closed, "the close");
    await bystanderStillChats("after-garbage");
  });

  it.each<TlsWay>(["starttls", "direct"])("garbage after the stream header over TLS (%s) -> not-well-formed and the close at once", async (way) => {
    const gw = topo.of("gateway")[0]!;
    const s = await rawTls(way, way === "direct" ? gw.tlsPort : gw.c2sPort);
    await s.open();
    s.write("<<<this is not xml>>>");
    const got = await s.take(/<\/stream:stream>/, 5000);
    expect(got).toMatch(GARBAGE_ANSWER);
    expect(got.startsWith("<stream:error")).toBe(true);
    await soon(s.closed, "the close");
  });

  it("a DOCTYPE -> restricted-xml", async () => {
    const c = await rawConnect(port);
    c.write("<?xml version='1.0'?><!DOCTYPE foo [<!ENTITY x 'lol'>]>");
    await c.until(streamError("restricted-xml"));
    await c.closed;
    await bystanderStillChats("after-doctype");
  });

  it("an oversized stanza before authentication -> policy-violation", async () => {
    const c = await rawConnect(port);
    c.write(HEADER);
    await c.until(/<stream:features>/);
    c.write(`<message><body>${"x".repeat(64 * 1024)}</body></message>`);
    await c.until(streamError("policy-violation"));
    await c.closed;
    await bystanderStillChats("after-oversize");
  });

  it("a spoofed from -> invalid-from, and nobody receives the forged stanza", async () => {
    const c = await rawConnect(port);
    c.write(HEADER);
    await c.until(/<\/stream:features>/);
    c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0mallory\0mallory-pw").toString("base64")}</auth>`);
    await c.until(/<success/);
    c.write(HEADER);
    await c.until(/urn:ietf:params:xml:ns:xmpp-bind/);
    c.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>evil</resource></bind></iq>");
    await c.until(/mallory@localhost\/evil/);
    c.write("<message from='alice@localhost/calm' to='bob@localhost/calm' type='chat' id='forged'><body>forged</body></message>");
    await c.until(streamError("invalid-from"));
    await c.closed;
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.inbox.some((el) => el.getChildText("body") === "forged")).toBe(false);
    await bystanderStillChats("after-spoof");
  });
});
