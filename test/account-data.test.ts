// The everyday server IQs end to end, across two gateway processes and two routers with
// @xmpp/client: vcard-temp (XEP-0054), private XML storage (XEP-0049), last activity (XEP-0012),
// entity time (XEP-0202), and the server's disco items and capabilities node (XEP-0030, XEP-0115).
import { createHash } from "node:crypto";
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
    // XEP-0030: every served namespace is advertised, XEP-0049 private storage and the roster included.
    expect(features).toEqual(expect.arrayContaining(["urn:xmpp:blocking", "urn:xmpp:carbons:2", "vcard-temp", "jabber:iq:last", "urn:xmpp:time", "jabber:iq:private", "jabber:iq:roster"]));
    // XEP-0030 §3 on the account's behalf: bob's own bare JID lists what is served for him.
    const own = (await bob.iq(xml("iq", { type: "get", to: "bob@localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })))).getChild("query")!;
    expect(own.getChildren("identity").map((i) => i.attrs)).toEqual([{ category: "account", type: "registered" }]);
    expect(own.getChildren("feature").map((f) => f.attrs.var)).toEqual(expect.arrayContaining(["jabber:iq:private", "jabber:iq:roster", "vcard-temp", "urn:xmpp:blocking"]));
    const node = `urn:xmppd:caps#${recomputeVer(info)}`;
    const capsInfo = (await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node })))).getChild("query")!;
    expect(capsInfo.attrs.node).toBe(node);
    expect(capsInfo.getChildren("feature").map((f) => f.attrs.var)).toEqual(features);
    await bob.stop();
  });

  it("offers the server's caps as a stream feature after authentication, its ver recomputed from disco#info (XEP-0115 §5, §6.3)", async () => {
    const bob = await login(0, "bob", { resource: "caps" });
    const features = bob.nonzas.filter((el) => el.name === "stream:features");
    // Before authentication the feature is not offered; after it, exactly once.
    expect(features[0]!.getChild("c", "http://jabber.org/protocol/caps")).toBeUndefined();
    const after = features.at(-1)!;
    expect(after.getChild("bind", "urn:ietf:params:xml:ns:xmpp-bind")).toBeDefined();
    const caps = after.getChildren("c").filter((c) => c.attrs.xmlns === "http://jabber.org/protocol/caps");
    expect(caps).toHaveLength(1);
    expect(Object.keys(caps[0]!.attrs).sort()).toEqual(["hash", "node", "ver", "xmlns"]);
    expect(caps[0]!.attrs).toMatchObject({ hash: "sha-1", node: "urn:xmppd:caps" });
    const info = (await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })))).getChild("query")!;
    expect(caps[0]!.attrs.ver).toBe(recomputeVer(info));
    // §6.2: the same answer at node#ver.
    const atNode = (await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: `urn:xmppd:caps#${caps[0]!.attrs.ver}` })))).getChild("query")!;
    expect(canonical(atNode)).toBe(canonical(info).replace("<query", `<query node="urn:xmppd:caps#${caps[0]!.attrs.ver}"`));
    expect(recomputeVer(atNode)).toBe(caps[0]!.attrs.ver);
    await bob.stop();
  });
});

/** XEP-0115 §5.1 and §5.4, written out here independently of the server's code: the ver of a disco#info <query/>. */
function recomputeVer(query: Element): string {
  const sorted = (xs: string[]) => xs.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const ids = sorted(query.getChildren("identity").map((i) => `${i.attrs.category}/${i.attrs.type}/${i.attrs["xml:lang"] ?? ""}/${i.attrs.name ?? ""}<`));
  const feats = sorted(query.getChildren("feature").map((f) => `${f.attrs.var}<`));
  const values = (field: Element | undefined) => sorted((field?.getChildren("value") ?? []).map((v) => `${v.text()}<`));
  const forms = query.getChildren("x").filter((x) => x.attrs.xmlns === "jabber:x:data").map((x) => {
    const fields = x.getChildren("field");
    const type = values(fields.find((f) => f.attrs.var === "FORM_TYPE")).join("");
    const rest = fields.filter((f) => f.attrs.var !== "FORM_TYPE").sort((a, b) => Buffer.compare(Buffer.from(String(a.attrs.var)), Buffer.from(String(b.attrs.var))));
    return type + rest.map((f) => `${f.attrs.var}<${values(f).join("")}`).join("");
  });
  return createHash("sha1").update(ids.join("") + feats.join("") + sorted(forms).join(""), "utf8").digest("base64");
}
