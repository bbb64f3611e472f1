// The everyday server IQs end to end, across two gateway processes and two routers with
// @xmpp/client: vcard-temp (XEP-0054), private XML storage (XEP-0049), last activity (XEP-0012),
// entity time (XEP-0202), and the server's disco items and capabilities node (XEP-0030, XEP-0115).
import { describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { xml } from "./support/clients.ts";
import { canonical } from "./support/stanzas.ts";

const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1 }, ["alice", "bob"]);
const login = cluster.login;
const isPresence = (from: string, type?: string) => (el: Element) => el.name === "presence" && el.attrs.from === from && el.attrs.type === type;

describe("server IQs across two gateway processes", () => {
  it("alice sets her vCard on one gateway and bob reads it on the other", async () => {
    const alice = await login(0, "alice", { resource: "laptop" });
    const bob = await login(1, "bob", { resource: "phone" });
    const empty = await bob.iq(xml("iq", { type: "get", to: "alice@localhost" }, xml("vCard", { xmlns: "vcard-temp" })));
    expect(canonical(empty)).toBe(canonical(`<iq from="alice@localhost" to="bob@localhost/phone" type="result" id="${empty.attrs.id}"><vCard xmlns="vcard-temp"/></iq>`));
    await alice.iq(xml("iq", { type: "set" }, xml("vCard", { xmlns: "vcard-temp" }, xml("FN", {}, "Alice Liddell"), xml("NICKNAME", {}, "alice"))));
    const card = await bob.iq(xml("iq", { type: "get", to: "alice@localhost" }, xml("vCard", { xmlns: "vcard-temp" })));
    expect(canonical(card.getChild("vCard", "vcard-temp")!)).toBe(`<vCard xmlns="vcard-temp"><FN>Alice Liddell</FN><NICKNAME>alice</NICKNAME></vCard>`);
    const own = await alice.iq(xml("iq", { type: "get" }, xml("vCard", { xmlns: "vcard-temp" })));
    expect(canonical(own.getChild("vCard", "vcard-temp")!)).toBe(`<vCard xmlns="vcard-temp"><FN>Alice Liddell</FN><NICKNAME>alice</NICKNAME></vCard>`);
    // Only alice changes it.
    await expect(bob.iq(xml("iq", { type: "set", to: "alice@localhost" }, xml("vCard", { xmlns: "vcard-temp" }, xml("FN", {}, "Mallory"))))).rejects.toThrow(/forbidden/);
    await Promise.all([alice.stop(), bob.stop()]);
  });

  it("stores private XML from one resource and returns it to another on the other gateway", async () => {
    const laptop = await login(0, "alice", { resource: "laptop" });
    const phone = await login(1, "alice", { resource: "phone" });
    await laptop.iq(xml("iq", { type: "set" }, xml("query", { xmlns: "jabber:iq:private" }, xml("prefs", { xmlns: "urn:example:prefs" }, xml("theme", {}, "dark")))));
    const got = await phone.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:private" }, xml("prefs", { xmlns: "urn:example:prefs" }))));
    expect(canonical(got)).toBe(canonical(
      `<iq to="alice@localhost/phone" type="result" id="${got.attrs.id}"><query xmlns="jabber:iq:private"><prefs xmlns="urn:example:prefs"><theme>dark</theme></prefs></query></iq>`));
    const none = await phone.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:private" }, xml("storage", { xmlns: "storage:bookmarks" }))));
    expect(canonical(none.getChild("query", "jabber:iq:private")!)).toBe(`<query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"></storage></query>`);
    await Promise.all([laptop.stop(), phone.stop()]);
  });

  it("tells bob how long ago alice left and why, and the server's uptime and time", async () => {
    const alice = await login(0, "alice", { resource: "away" });
    const bob = await login(1, "bob", { resource: "watch" });
    await alice.send(xml("presence", { to: "bob@localhost", type: "subscribe" }));
    await bob.next(isPresence("alice@localhost", "subscribe"));
    await bob.send(xml("presence", { to: "alice@localhost", type: "subscribed" }));
    // bob is not subscribed to alice's presence: last activity is not his to know (§4).
    await expect(bob.iq(xml("iq", { type: "get", to: "alice@localhost" }, xml("query", { xmlns: "jabber:iq:last" })))).rejects.toThrow(/forbidden/);
    await bob.send(xml("presence", { to: "alice@localhost", type: "subscribe" }));
    await alice.next(isPresence("bob@localhost", "subscribe"));
    await alice.send(xml("presence", { to: "bob@localhost", type: "subscribed" }));
    await bob.next(isPresence("alice@localhost/away"));
    const online = await bob.iq(xml("iq", { type: "get", to: "alice@localhost" }, xml("query", { xmlns: "jabber:iq:last" })));
    expect(canonical(online.getChild("query", "jabber:iq:last")!)).toBe(`<query seconds="0" xmlns="jabber:iq:last"></query>`);
    await alice.send(xml("presence", { type: "unavailable" }, xml("status", {}, "Heading Home")));
    await bob.next(isPresence("alice@localhost/away", "unavailable"));
    await alice.stop();
    await new Promise((r) => setTimeout(r, 1100));
    const last = await bob.iq(xml("iq", { type: "get", to: "alice@localhost" }, xml("query", { xmlns: "jabber:iq:last" })));
    const query = last.getChild("query", "jabber:iq:last")!;
    expect(query.text()).toBe("Heading Home");
    expect(Number(query.attrs.seconds)).toBeGreaterThanOrEqual(1);
    expect(Number(query.attrs.seconds)).toBeLessThan(10);

    const uptime = await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "jabber:iq:last" })));
    expect(Number(uptime.getChild("query", "jabber:iq:last")!.attrs.seconds)).toBeGreaterThanOrEqual(0);
    const before = Date.now();
    const time = (await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("time", { xmlns: "urn:xmpp:time" })))).getChild("time", "urn:xmpp:time")!;
    expect(time.getChildText("tzo")).toBe("+00:00");
    expect(Math.abs(Date.parse(time.getChildText("utc")!) - before)).toBeLessThan(5000);
    await bob.stop();
  });

  it("lists no disco items at the server, item-not-found for a node, and answers its caps node", async () => {
    const bob = await login(1, "bob", { resource: "disco" });
    const items = await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items" })));
    expect(canonical(items)).toBe(canonical(`<iq from="localhost" to="bob@localhost/disco" type="result" id="${items.attrs.id}"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`));
    await expect(bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: "rooms" })))).rejects.toThrow(/item-not-found/);
    const info = (await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })))).getChild("query")!;
    const features = info.getChildren("feature").map((f) => f.attrs.var as string);
    expect(features).toEqual(expect.arrayContaining(["urn:xmpp:blocking", "urn:xmpp:carbons:2", "vcard-temp", "jabber:iq:last", "urn:xmpp:time"]));
    const { capsVerification } = await import("@xmppd/modules");
    const identities = info.getChildren("identity").map((i) => ({ category: String(i.attrs.category), type: String(i.attrs.type) }));
    const node = `urn:xmppd:caps#${capsVerification(identities, features)}`;
    const capsInfo = (await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node })))).getChild("query")!;
    expect(capsInfo.attrs.node).toBe(node);
    expect(capsInfo.getChildren("feature").map((f) => f.attrs.var)).toEqual(features);
    await bob.stop();
  });
});
