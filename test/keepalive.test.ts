// Server keepalives (XEP-0199 §4.2) with a short ping interval: a raw TCP client that never
// answers the server's ping is closed with <connection-timeout/> and its session is gone (a
// message to it is stored offline); an @xmpp/client session, which answers, stays connected.
import { afterAll, describe, expect, it } from "vitest";
import { useCluster } from "./support/cluster.ts";
import { isChat, rawConnect, xml } from "./support/clients.ts";

const cluster = useCluster({ gateways: 1, env: { XMPPD__gateway__pingIntervalMs: "1000" } }, ["dave", "erin", "fred"]);
const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
const raws: { end(): void }[] = [];
afterAll(() => raws.forEach((r) => r.end()));

describe("server pings (XEP-0199)", () => {
  it("closes a bound client that does not answer with connection-timeout, and the router forgets it", async () => {
    const raw = await rawConnect(cluster.topo.of("gateway")[0]!.c2sPort);
    raws.push(raw);
    raw.write(HEADER);
    await raw.until(/<\/stream:features>/);
    raw.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0dave\0dave-pw").toString("base64")}</auth>`);
    await raw.until(/<success/);
    raw.write(HEADER);
    raw.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>");
    await raw.until(/<jid>dave@localhost\/raw<\/jid>/);
    const boundAt = Date.now();
    // Then silence: a ping after about a second, the stream error about a second later.
    const text = await raw.until(/<\/stream:stream>/, 6000);
    await raw.closed;
    const elapsed = Date.now() - boundAt;
    const tail = text.slice(text.indexOf("</iq>", text.indexOf("<jid>")) + "</iq>".length);
    const id = /<iq [^>]*id="(ping-[0-9a-f]+)"/.exec(tail)?.[1];
    expect(tail).toBe(
      `<iq xmlns="jabber:client" type="get" id="${id}" from="localhost" to="dave@localhost/raw"><ping xmlns="urn:xmpp:ping"/></iq>` +
        '<stream:error xmlns:stream="http://etherx.jabber.org/streams"><connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-streams">no answer to a ping (XEP-0199)</text></stream:error></stream:stream>',
    );
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(5000);
    // The router was told: a message to dave now goes offline and waits for his next login.
    const fred = await cluster.login(0, "fred");
    await fred.send(xml("message", { to: "dave@localhost", type: "chat", id: "k1" }, xml("body", {}, "ping timeout")));
    const dave = await cluster.login(0, "dave", { resource: "back" });
    expect((await dave.next(isChat("fred@localhost"))).attrs.id).toBe("k1");
  });

  it("keeps an @xmpp/client session that answers the pings", async () => {
    const erin = await cluster.login(0, "erin", { resource: "calm" });
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const pings = erin.inbox.filter((el) => el.name === "iq" && el.attrs.type === "get" && el.getChild("ping", "urn:xmpp:ping"));
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings[0]!.attrs).toMatchObject({ from: "localhost", to: "erin@localhost/calm" });
    const fred = await cluster.login(0, "fred", { resource: "again" });
    await fred.send(xml("message", { to: "erin@localhost/calm", type: "chat", id: "k2" }, xml("body", {}, "still there?")));
    expect((await erin.next(isChat("fred@localhost"))).attrs.id).toBe("k2");
  });
});
