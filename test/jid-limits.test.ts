// RFC 7622 §3.2-§3.4: every part of a JID is at most 1023 bytes once prepared. Each way a JID
// comes in refuses a longer one with the error its RFC names, on the real topology.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTopology, type Topology } from "./support/topology.ts";
import { connect, rawConnect, xml, type TestClient } from "./support/clients.ts";

let topo: Topology;
let port: number;
let bob: TestClient;

const LONG = "r".repeat(1024); // one byte over
const OK = "r".repeat(1023);
const header = (to: string) =>
  `<?xml version='1.0'?><stream:stream to='${to}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;

beforeAll(async () => {
  topo = await startTopology({ gateways: 1, routers: 1, ampWorkers: 1 });
  port = topo.of("gateway")[0]!.c2sPort;
  await topo.addUser("alice", "alice-pw");
  await topo.addUser("bob", "bob-pw");
  bob = await connect({ port, username: "bob", password: "bob-pw", resource: "desk" });
}, 60_000);

afterAll(async () => {
  await bob?.stop();
  await topo?.stop();
}, 30_000);

/** A raw stream authenticated as alice, up to the bind request. */
async function authenticated() {
  const c = await rawConnect(port);
  c.write(header("localhost"));
  await c.until(/<\/stream:features>/);
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0alice\0alice-pw").toString("base64")}</auth>`);
  await c.until(/<success/);
  c.write(header("localhost"));
  await c.until(/urn:ietf:params:xml:ns:xmpp-bind/);
  return c;
}

const stanzaError = (name: string, id: string, type: string, condition: string) =>
  new RegExp(`<${name}(?=[^>]*\\sid=['"]${id}['"])(?=[^>]*\\stype=['"]error['"])[^>]*>\\s*<error type=['"]${type}['"]>\\s*<${condition} xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]\\s*/>\\s*</error>\\s*</${name}>`);

describe("JID length limits (RFC 7622)", () => {
  it("bind: a 1024-byte resource is <bad-request/> (RFC 6120 §7.7.2.1); 1023 bytes binds", async () => {
    const c = await authenticated();
    c.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${LONG}</resource></bind></iq>`);
    const got = await c.until(stanzaError("iq", "b1", "modify", "bad-request"));
    expect(got).not.toContain(LONG);
    c.write(`<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${OK}</resource></bind></iq>`);
    await c.until(new RegExp(`<jid>alice@localhost/${OK}</jid>`));
    c.end();
    await c.closed;
  }, 30_000);

  it("a stanza to a 3 KB resource is <jid-malformed/> (RFC 6120 §8.3.3.8), and the stream goes on", async () => {
    const c = await authenticated();
    c.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>m</resource></bind></iq>");
    await c.until(/alice@localhost\/m<\/jid>/);
    const to = `bob@localhost/${"r".repeat(3072)}`;
    c.write(`<message to='${to}' type='chat' id='m1'><body>hi</body></message>`);
    const got = await c.until(stanzaError("message", "m1", "modify", "jid-malformed"));
    expect(got).toMatch(/<message [^>]*to=['"]alice@localhost\/m['"]/);
    c.write("<message to='bob@localhost/desk' type='chat' id='m2'><body>still here</body></message>");
    const delivered = await bob.next((el) => el.attrs.id === "m2");
    expect(delivered.attrs.from).toBe("alice@localhost/m");
    c.end();
    await c.closed;
  }, 30_000);

  it("a stanza whose from has a 1024-byte localpart is <jid-malformed/>, not taken for someone else", async () => {
    const c = await authenticated();
    c.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>f</resource></bind></iq>");
    await c.until(/alice@localhost\/f<\/jid>/);
    c.write(`<message from='${"l".repeat(1024)}@localhost' to='bob@localhost/desk' type='chat' id='f1'><body>x</body></message>`);
    await c.until(stanzaError("message", "f1", "modify", "jid-malformed"));
    c.write("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
    await c.until(/<iq(?=[^>]*\sid=['"]p1['"])(?=[^>]*\stype=['"]result['"])/);
    expect(bob.inbox.some((el) => el.attrs.id === "f1")).toBe(false);
    c.end();
    await c.closed;
  }, 30_000);

  it("a stream header to a 1024-byte domainpart is the stream error host-unknown (RFC 6120 §4.9.3.6)", async () => {
    const c = await rawConnect(port);
    const domain = ["a", ...Array.from({ length: 16 }, () => "d".repeat(63))].join("."); // 1025 bytes, labels valid
    c.write(header(domain));
    await c.until(/<stream:error[^>]*><host-unknown xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]\s*\/>/);
    await c.closed;
  }, 30_000);

  it("a roster item with a 1024-byte localpart is <jid-malformed/> (RFC 6121 §2.3.3)", async () => {
    // send + next, not iq(): @xmpp/iq's caller can report a fast error reply as an unhandled rejection.
    await bob.send(xml("iq", { type: "set", id: "r1" }, xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: `${"l".repeat(1024)}@localhost` }))));
    const reply = await bob.next((el) => el.name === "iq" && el.attrs.id === "r1");
    expect(reply.attrs.type).toBe("error");
    expect(reply.getChild("error")?.getChild("jid-malformed", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
  }, 30_000);
});
