// Client State Indication (XEP-0352) through the topology: frank (@xmpp/client on TCP) says he
// is <inactive/>; presence and chat-state messages from gina are held at his gateway, only the
// latest presence per sender kept, until a message with a body flushes them in order.
import type { Element } from "@xmppd/xml";
import { describe, expect, it } from "vitest";
import { useCluster } from "./support/cluster.ts";
import { rawConnect, xml } from "./support/clients.ts";

// Without XEP-0198: on a stream with stream management every stanza is counted, so CSI holds
// presence there but never collapses it (docs/stream-management.md); @xmpp/client would enable it.
const cluster = useCluster({ gateways: 2, env: { XMPPD__gateway__streamManagement__enabled: "false" } }, ["frank", "gina"]);
const NS_CSI = "urn:xmpp:csi:0";
const CHATSTATES = "http://jabber.org/protocol/chatstates";
const plain = (el: Element) => ({ name: el.name, attrs: el.attrs, children: el.children.map(String) });
const fromGina = (el: Element) => String(el.attrs.from).startsWith("gina@localhost");
const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

describe("client state indication (XEP-0352)", () => {
  it("is offered as a stream feature after authentication", async () => {
    const raw = await rawConnect(cluster.topo.of("gateway")[0]!.c2sPort);
    const header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
    raw.write(header);
    const before = await raw.until(/<\/stream:features>/);
    expect(before).not.toContain(NS_CSI);
    raw.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0frank\0frank-pw").toString("base64")}</auth>`);
    await raw.until(/<success/);
    raw.write(header);
    const after = await raw.until(/<success[^]*<\/stream:features>/);
    expect(after.slice(after.indexOf("<success"))).toMatch(new RegExp(`<stream:features>.*<csi xmlns="${NS_CSI}"/>.*</stream:features>`));
    raw.end();
  });

  it("holds presence and chat states while inactive and flushes them, in order, before a message with a body", async () => {
    const frank = await cluster.login(0, "frank", { resource: "phone" });
    const gina = await cluster.login(1, "gina", { resource: "desk" });
    await frank.send(xml("inactive", { xmlns: NS_CSI }));
    await settle();
    const to = "frank@localhost/phone";
    await gina.send(xml("presence", { to }, xml("show", {}, "away")));
    await gina.send(xml("message", { to, type: "chat", id: "cs1" }, xml("composing", { xmlns: CHATSTATES })));
    await gina.send(xml("presence", { to }, xml("show", {}, "dnd")));
    await settle();
    expect(frank.inbox.filter(fromGina)).toEqual([]);
    await gina.send(xml("message", { to, type: "chat", id: "m1" }, xml("body", {}, "wake up"), xml("active", { xmlns: CHATSTATES })));
    const got = await frank.collect(fromGina, 3);
    expect(got.map(plain)).toEqual([
      { name: "message", attrs: { xmlns: "jabber:client", to, type: "chat", id: "cs1", from: "gina@localhost/desk" }, children: [`<composing xmlns="${CHATSTATES}"/>`] },
      { name: "presence", attrs: { xmlns: "jabber:client", to, from: "gina@localhost/desk" }, children: ["<show>dnd</show>"] },
      { name: "message", attrs: { xmlns: "jabber:client", to, type: "chat", id: "m1", from: "gina@localhost/desk" }, children: ["<body>wake up</body>", `<active xmlns="${CHATSTATES}"/>`] },
    ]);
    // The superseded "away" never arrives.
    await settle();
    expect(frank.inbox.filter(fromGina)).toHaveLength(3);
  });

  it("flushes on <active/> and delivers at once afterwards", async () => {
    const frank = await cluster.login(0, "frank", { resource: "tablet" });
    const gina = await cluster.login(1, "gina", { resource: "laptop" });
    const to = "frank@localhost/tablet";
    const fromLaptop = (el: Element) => el.attrs.from === "gina@localhost/laptop";
    await frank.send(xml("inactive", { xmlns: NS_CSI }));
    await settle();
    await gina.send(xml("presence", { to }, xml("show", {}, "xa")));
    await settle();
    expect(frank.inbox.filter(fromLaptop)).toEqual([]);
    await frank.send(xml("active", { xmlns: NS_CSI }));
    const [held] = await frank.collect(fromLaptop, 1);
    expect(plain(held!)).toEqual({ name: "presence", attrs: { xmlns: "jabber:client", to, from: "gina@localhost/laptop" }, children: ["<show>xa</show>"] });
    await gina.send(xml("message", { to, type: "chat", id: "cs2" }, xml("paused", { xmlns: CHATSTATES })));
    const [now] = (await frank.collect(fromLaptop, 2)).slice(1);
    expect(now!.attrs.id).toBe("cs2");
  });
});
