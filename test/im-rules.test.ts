// RFC 6121 delivery rules end to end, as conversations between users on two gateway processes
// (2 routers, 1 AMP worker; real NATS, Redis, Postgres; @xmpp/client): §8.5 for every message
// type to bare and full JIDs with positive, zero and negative priorities, and §4 presence at
// login (probes), on a dropped connection, and directed presence to a full JID.
import { afterAll, describe, expect, it } from "vitest";
import { createPgClient, createRosterStore, type SqlClient } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { rawConnect, xml, type TestClient } from "./support/clients.ts";
import { canonical } from "./support/stanzas.ts";

const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1 }, ["alice", "bob", "carol", "dave", "erin"]);
const login = cluster.login;
let sql: SqlClient | undefined;
afterAll(async () => sql?.close());

const msg = (to: string, id: string, type?: string) => xml("message", { to, id, ...(type ? { type } : {}) }, xml("body", {}, id));
const withId = (id: string) => (el: Element) => el.attrs.id === id;
const isPresence = (from: string, type?: string) => (el: Element) => el.name === "presence" && el.attrs.from === from && el.attrs.type === type;
const settle = (ms = 800) => new Promise((r) => setTimeout(r, ms));
const ids = (c: TestClient) => c.inbox.filter((el) => el.name === "message").map((el) => String(el.attrs.id));
const unavailableError = (id: string, from: string, to: string) =>
  canonical(`<message from="${from}" to="${to}" id="${id}" type="error"><error type="cancel"><service-unavailable xmlns="${STANZAS}"/></error></message>`);

async function withPriority(c: TestClient, priority: number): Promise<void> {
  await c.send(xml("presence", {}, xml("priority", {}, String(priority))));
}

describe("RFC 6121 §8.5 message delivery across two gateways", () => {
  it("routes each message type to bare and full JIDs by availability and priority", async () => {
    const alice = await login(0, "alice", { resource: "a" });
    const high = await login(1, "bob", { resource: "high", presence: false });
    const low = await login(0, "bob", { resource: "low", presence: false });
    const neg = await login(1, "bob", { resource: "neg", presence: false });
    await withPriority(high, 5);
    await withPriority(low, 1);
    await withPriority(neg, -1);
    await settle(300);

    // §8.5.2.1.1: chat and normal (also an unknown type, §5.2.2) to the bare JID reach only the
    // highest non-negative priority; headline reaches every non-negative resource.
    await alice.send(msg("bob@localhost", "chat-bare", "chat"));
    await alice.send(msg("bob@localhost", "normal-bare"));
    await alice.send(msg("bob@localhost", "odd-bare", "bogus"));
    await alice.send(msg("bob@localhost", "headline-bare", "headline"));
    await high.next(withId("headline-bare"));
    await low.next(withId("headline-bare"));
    // groupchat to a bare JID is refused; an error message is dropped without an answer.
    await alice.send(msg("bob@localhost", "gc-bare", "groupchat"));
    expect(canonical(await alice.next(withId("gc-bare")))).toBe(unavailableError("gc-bare", "bob@localhost", "alice@localhost/a"));
    await alice.send(msg("bob@localhost", "error-bare", "error"));

    // §8.5.3.1: a full JID of a connected resource gets any type, even at a negative priority.
    await alice.send(msg("bob@localhost/neg", "chat-neg", "chat"));
    await alice.send(msg("bob@localhost/low", "gc-low", "groupchat"));
    await neg.next(withId("chat-neg"));
    await low.next(withId("gc-low"));
    // §8.5.3.2.1: no such resource: chat goes as to the bare JID, normal and headline are
    // refused with service-unavailable, error is dropped.
    await alice.send(msg("bob@localhost/gone", "chat-gone", "chat"));
    await alice.send(msg("bob@localhost/gone", "normal-gone", "normal"));
    await alice.send(msg("bob@localhost/gone", "headline-gone", "headline"));
    await alice.send(msg("bob@localhost/gone", "error-gone", "error"));
    await high.next(withId("chat-gone"));
    expect(canonical(await alice.next(withId("normal-gone")))).toBe(unavailableError("normal-gone", "bob@localhost", "alice@localhost/a"));
    expect(canonical(await alice.next(withId("headline-gone")))).toBe(unavailableError("headline-gone", "bob@localhost", "alice@localhost/a"));
    await settle();

    expect(ids(high)).toEqual(["chat-bare", "normal-bare", "odd-bare", "headline-bare", "chat-gone"]);
    expect(ids(low)).toEqual(["headline-bare", "gc-low"]);
    expect(ids(neg)).toEqual(["chat-neg"]);
    expect(alice.inbox.filter((el) => el.name === "message").map((el) => el.attrs.id)).toEqual(["gc-bare", "normal-gone", "headline-gone"]);
    const delivered = high.inbox.find(withId("chat-bare"))!;
    expect(canonical(delivered)).toBe(canonical(`<message from="alice@localhost/a" to="bob@localhost" id="chat-bare" type="chat"><body>chat-bare</body></message>`));
    await Promise.all([alice.stop(), high.stop(), low.stop(), neg.stop()]);
  });

  it("stores a chat message when only a negative-priority resource is available and delivers it when the priority rises", async () => {
    const alice = await login(0, "alice", { resource: "a2" });
    const shy = await login(1, "carol", { resource: "shy", presence: false });
    await withPriority(shy, -3);
    await settle(300);
    await alice.send(msg("carol@localhost", "held", "chat"));
    // §8.5.2.1.1: never to a negative resource; headline is dropped, not stored (XEP-0160).
    await alice.send(msg("carol@localhost", "held-headline", "headline"));
    await settle();
    expect(ids(shy)).toEqual([]);
    // XEP-0160 / RFC 6121 §8.5.2.1.1: raising the priority to 0 makes the resource eligible.
    await withPriority(shy, 0);
    const got = await shy.next(withId("held"));
    expect(got.attrs.from).toBe("alice@localhost/a2");
    expect(got.getChild("delay", "urn:xmpp:delay")?.attrs.from).toBe("localhost");
    await settle(500);
    expect(ids(shy)).toEqual(["held"]);
    await Promise.all([alice.stop(), shy.stop()]);
  });
});

describe("RFC 6121 §4 presence across two gateways", () => {
  it("probes at login, broadcasts initial presence, and tells contacts when a connection drops without a word", async () => {
    sql ??= createPgClient({ url: cluster.topo.databaseUrl });
    const rosters = createRosterStore(sql);
    const both = (jid: string) => ({ jid, name: null, subscription: "both" as const, ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] });
    await rosters.upsert("dave@localhost", both("erin@localhost"));
    await rosters.upsert("erin@localhost", both("dave@localhost"));

    const erin = await login(0, "erin", { resource: "e", presence: false });
    await erin.send(xml("presence", {}, xml("show", {}, "dnd")));
    // dave logs in on the other gateway over a raw socket (no XEP-0198, so a lost connection is final).
    const dave = await rawConnect(cluster.topo.of("gateway")[1]!.c2sPort);
    const header = `<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
    dave.write(header);
    await dave.until(/<\/stream:features>/);
    dave.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0dave\0dave-pw").toString("base64")}</auth>`);
    await dave.until(/<success/);
    dave.write(header);
    // RFC 6121 §3.4.1: pre-approvals are supported, so the features after authentication say so.
    const features = await dave.until(/<\/stream:features>[\s\S]*<\/stream:features>/);
    expect(features.slice(features.lastIndexOf("<stream:features"))).toMatch(/<sub xmlns="urn:xmpp:features:pre-approval"\/>/);
    dave.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>d</resource></bind></iq>");
    await dave.until(/dave@localhost\/d/);
    dave.write("<presence><status>here</status></presence>");
    // §4.2.2: erin gets dave's initial presence; §4.3: dave's login brings in erin's presence.
    const daveOnline = await erin.next(isPresence("dave@localhost/d"));
    expect(canonical(daveOnline)).toBe(canonical(`<presence from="dave@localhost/d" to="erin@localhost"><status>here</status></presence>`));
    // The presence stanza dave's raw stream received from erin, exactly.
    const erinSeen = /<presence[^>]*from=["']erin@localhost\/e["'][^>]*>.*?<\/presence>/;
    expect(canonical(erinSeen.exec(await dave.until(erinSeen))![0])).toBe(canonical(`<presence xmlns="jabber:client" from="erin@localhost/e" to="dave@localhost/d"><show>dnd</show></presence>`));

    // §4.5.2 (connection lost without unavailable presence): the server says it for him.
    dave.end();
    const gone = await erin.next(isPresence("dave@localhost/d", "unavailable"), 10_000);
    expect(canonical(gone)).toBe(canonical(`<presence from="dave@localhost/d" to="erin@localhost" type="unavailable"/>`));
    await erin.stop();
  });

  it("delivers directed presence to a full JID only, and remembers it for the unavailable at logout (§4.6)", async () => {
    const alice = await login(0, "alice", { resource: "dir" });
    const other = await login(1, "alice", { resource: "other" });
    const bob = await login(1, "bob", { resource: "b" });
    await bob.send(xml("presence", { to: "alice@localhost/dir" }, xml("status", {}, "only you")));
    const directed = await alice.next(isPresence("bob@localhost/b"));
    expect(canonical(directed)).toBe(canonical(`<presence from="bob@localhost/b" to="alice@localhost/dir"><status>only you</status></presence>`));
    await bob.send(xml("presence", { type: "unavailable" }));
    expect(canonical(await alice.next(isPresence("bob@localhost/b", "unavailable")))).toBe(canonical(`<presence from="bob@localhost/b" to="alice@localhost/dir" type="unavailable"/>`));
    await settle(500);
    // alice's other resource was never addressed: it hears nothing from bob.
    expect(other.inbox.filter((el) => el.name === "presence" && String(el.attrs.from).startsWith("bob@"))).toEqual([]);
    await Promise.all([alice.stop(), other.stop(), bob.stop()]);
  });

  it("keeps alice's pre-approval of bob and approves his later request at once (RFC 6121 §3.4)", async () => {
    const R = "jabber:iq:roster";
    const alice = await login(0, "alice", { resource: "pre" });
    const bob = await login(1, "bob", { resource: "asker" });
    await alice.iq(xml("iq", { type: "get" }, xml("query", { xmlns: R })));
    await bob.iq(xml("iq", { type: "get" }, xml("query", { xmlns: R })));
    const pushTo = (c: TestClient, match: (item: Element) => boolean) =>
      c.next((el) => el.name === "iq" && el.attrs.type === "set" && !!el.getChild("query", R)?.getChild("item") && match(el.getChild("query", R)!.getChild("item")!));
    // §3.4.2: "subscribed" with no request pending is a pre-approval, kept on alice's roster.
    await alice.send(xml("presence", { to: "bob@localhost", type: "subscribed" }));
    const pre = await pushTo(alice, (i) => i.attrs.jid === "bob@localhost");
    expect(canonical(pre.getChild("query", R)!.getChild("item")!)).toBe(canonical(`<item jid="bob@localhost" subscription="none" approved="true"/>`));
    await settle(500);
    expect(bob.inbox.some(isPresence("alice@localhost", "subscribed"))).toBe(false);
    // §3.4.3: bob's request is approved by the server; alice is not asked.
    await bob.send(xml("presence", { to: "alice@localhost", type: "subscribe" }));
    const approved = await bob.next(isPresence("alice@localhost", "subscribed"));
    expect(canonical(approved)).toBe(canonical(`<presence from="alice@localhost" to="bob@localhost" type="subscribed"/>`));
    await bob.next(isPresence("alice@localhost/pre"));
    const from = await pushTo(alice, (i) => i.attrs.subscription === "from");
    expect(canonical(from.getChild("query", R)!.getChild("item")!)).toBe(canonical(`<item jid="bob@localhost" subscription="from"/>`));
    expect(alice.inbox.some(isPresence("bob@localhost", "subscribe"))).toBe(false);
    await Promise.all([alice.stop(), bob.stop()]);
  });
});
