// XEP-0013 in the worker, against PGlite and the in-process bus: the requests the router forwards
// are answered to the requesting connection, messages are sent with their node and never removed
// for being sent, expired ones are never shown, and a flexible session stops every automatic drain.
import { afterEach, describe, expect, it } from "vitest";
import type { AmpWork, ToGateway } from "@xmppd/bus";
import { createBlockStore } from "@xmppd/storage";
import { waitFor } from "@xmppd/testkit";
import { parseElement } from "@xmppd/xml";
import { createHarness, messageWork, type Harness } from "../test-harness.ts";

const OFFLINE = "http://jabber.org/protocol/offline";
const BOB = "bob@localhost/laptop";
let h: Harness;
afterEach(async () => h?.close());

const settled = () => waitFor(async () => (await h.queue.pending()) === 0, { what: "work queue drained" });
const xmls = (inbox: ToGateway[]) => inbox.map((e) => (e.t === "deliver" ? e.xml : JSON.stringify(e)));
const work = (xml: string, jid = BOB, conn = "c7"): AmpWork => ({ t: "offline", jid, gw: "gw2", conn, xml });

async function setup(bodies: string[]): Promise<{ ids: string[]; stamps: string[] }> {
  h = await createHarness({ env: { XMPPD__amp__expiryIntervalMs: "1000" } });
  await h.addUser("bob");
  for (const body of bodies) {
    const w = messageWork("bob@localhost", "alice@localhost/phone", body);
    await h.offline.store({ key: w.key, owner: "bob@localhost", sender: w.from, stanza: w.xml, orderKey: w.order, expiresAt: null, meta: null }, 100);
  }
  await h.sessions.addQueued("bob@localhost", bodies.length);
  await h.bindSession(BOB, "gw2", "c7", false);
  await h.sessions.annotate(BOB, "c7", { flexOffline: true });
  const rows = await h.offline.list("bob@localhost");
  return { ids: rows.map((r) => r.id), stamps: rows.map((r) => r.storedAt.toISOString()) };
}

async function ask(xml: string): Promise<string[]> {
  const inbox = h.inbox("gw2");
  const before = inbox.length;
  await h.send(work(xml));
  await settled();
  return xmls(inbox.slice(before));
}

describe("XEP-0013 flexible offline retrieval in the worker", () => {
  it("counts (§2.2) and lists headers (§2.3) without sending or removing anything", async () => {
    const { ids } = await setup(["m0", "m1"]);
    expect(await ask(`<iq xmlns="jabber:client" type="get" id="i1"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"/></iq>`)).toEqual([
      `<iq xmlns="jabber:client" type="result" id="i1"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"><identity category="automation" type="message-list"/><feature var="${OFFLINE}"/>` +
        `<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>${OFFLINE}</value></field><field var="number_of_messages"><value>2</value></field></x></query></iq>`,
    ]);
    expect(await ask(`<iq xmlns="jabber:client" type="get" id="i2"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}"/></iq>`)).toEqual([
      `<iq xmlns="jabber:client" type="result" id="i2"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}">` +
        ids.map((id) => `<item jid="bob@localhost" node="${id}" name="alice@localhost/phone"/>`).join("") + `</query></iq>`,
    ]);
    expect(await h.offline.count("bob@localhost")).toBe(2);
  });

  it("never counts or lists a message from a contact blocked since (XEP-0191): its sender gets service-unavailable and it goes", async () => {
    const { ids } = await setup(["m0"]);
    const w = messageWork("bob@localhost", "carol@localhost/desk", "blocked since");
    await h.offline.store({ key: w.key, owner: "bob@localhost", sender: w.from, stanza: w.xml, orderKey: w.order, expiresAt: null, meta: null }, 100);
    await h.sessions.addQueued("bob@localhost", 1);
    await createBlockStore(h.sql).block("bob@localhost", ["carol@localhost"]);
    await h.bindSession("carol@localhost/desk", "gw1", "cc");
    const carol = h.inbox("gw1");
    expect(await ask(`<iq xmlns="jabber:client" type="get" id="i3"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}"/></iq>`)).toEqual([
      `<iq xmlns="jabber:client" type="result" id="i3"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}">` +
        `<item jid="bob@localhost" node="${ids[0]}" name="alice@localhost/phone"/></query></iq>`,
    ]);
    expect(xmls(carol).map((x) => parseElement(x).getChild("error")?.getChild("service-unavailable") !== undefined)).toEqual([true]);
    expect(await h.offline.count("bob@localhost")).toBe(1);
    expect((await h.sessions.lookup(["bob@localhost"])).get("bob@localhost")?.queued).toBe(1);
  });

  it("views chosen messages with their node and <delay/>, then the result, and keeps them (§2.4, §2.5)", async () => {
    const { ids, stamps } = await setup(["m0", "m1", "m2"]);
    const out = await ask(`<iq xmlns="jabber:client" type="get" id="v1"><offline xmlns="${OFFLINE}"><item action="view" node="${ids[2]}"/><item action="view" node="${ids[0]}"/></offline></iq>`);
    expect(out).toHaveLength(3);
    [0, 2].forEach((i, k) => {
      const m = parseElement(out[k]!);
      expect(m.getChildText("body")).toBe(`m${i}`);
      expect(m.getChild("delay", "urn:xmpp:delay")?.attrs).toMatchObject({ from: "localhost", stamp: stamps[i] });
      expect(m.getChild("offline", OFFLINE)?.toString()).toBe(`<offline xmlns="${OFFLINE}"><item node="${ids[i]}"/></offline>`);
    });
    expect(out[2]).toBe(`<iq xmlns="jabber:client" type="result" id="v1"/>`);
    expect(await h.offline.count("bob@localhost")).toBe(3);
  });

  it("answers item-not-found for an unknown node, sending and removing nothing", async () => {
    const { ids } = await setup(["m0"]);
    expect(await ask(`<iq xmlns="jabber:client" type="get" id="v2"><offline xmlns="${OFFLINE}"><item action="view" node="${ids[0]}"/><item action="view" node="999999"/></offline></iq>`)).toEqual([
      `<iq xmlns="jabber:client" type="error" id="v2"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`,
    ]);
    expect(await ask(`<iq xmlns="jabber:client" type="set" id="r2"><offline xmlns="${OFFLINE}"><item action="remove" node="nope"/></offline></iq>`)).toEqual([
      `<iq xmlns="jabber:client" type="error" id="r2"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`,
    ]);
    expect(await h.offline.count("bob@localhost")).toBe(1);
  });

  it("removes chosen messages and releases them from the queued count; purge removes the rest", async () => {
    const { ids } = await setup(["m0", "m1", "m2"]);
    expect(await ask(`<iq xmlns="jabber:client" type="set" id="r1"><offline xmlns="${OFFLINE}"><item action="remove" node="${ids[1]}"/></offline></iq>`)).toEqual([`<iq xmlns="jabber:client" type="result" id="r1"/>`]);
    expect((await h.offline.list("bob@localhost")).map((r) => r.id)).toEqual([ids[0], ids[2]]);
    expect((await h.sessions.lookup(["bob@localhost"])).get("bob@localhost")?.queued).toBe(2);
    expect(await ask(`<iq xmlns="jabber:client" type="set" id="p1"><offline xmlns="${OFFLINE}"><purge/></offline></iq>`)).toEqual([`<iq xmlns="jabber:client" type="result" id="p1"/>`]);
    expect(await h.offline.count("bob@localhost")).toBe(0);
    expect((await h.sessions.lookup(["bob@localhost"])).get("bob@localhost")?.queued).toBe(0);
  });

  it("fetches every message oldest first with its node, then the result, and keeps them (§2.6)", async () => {
    const { ids } = await setup(["m0", "m1"]);
    const out = await ask(`<iq xmlns="jabber:client" type="get" id="f1"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`);
    expect(out.map((x) => parseElement(x).getChildText("body"))).toEqual(["m0", "m1", null]);
    expect(out.slice(0, 2).map((x) => parseElement(x).getChild("offline", OFFLINE)?.getChild("item")?.attrs.node)).toEqual(ids);
    expect(out[2]).toBe(`<iq xmlns="jabber:client" type="result" id="f1"/>`);
    expect(await h.offline.count("bob@localhost")).toBe(2);
  });

  it("never counts, lists, views or fetches a message whose expire-at passed (DP-02 E2)", async () => {
    const { ids } = await setup(["m0"]);
    const w = messageWork("bob@localhost", "alice@localhost/phone", "expiring");
    const rule = { condition: "expire-at", action: "drop", value: new Date(Date.now() + 100).toISOString() };
    await h.offline.store({ key: w.key, owner: "bob@localhost", sender: w.from, stanza: w.xml, orderKey: w.order, expiresAt: new Date(rule.value), meta: { amp: { rules: [rule], fired: [false] } } }, 100);
    const expiring = (await h.offline.list("bob@localhost")).find((r) => r.key === w.key)!.id;
    await new Promise((r) => setTimeout(r, 150));
    const count = await ask(`<iq xmlns="jabber:client" type="get" id="e1"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"/></iq>`);
    expect(count[0]).toContain("<field var=\"number_of_messages\"><value>1</value></field>");
    const fetched = await ask(`<iq xmlns="jabber:client" type="get" id="e2"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`);
    expect(fetched.map((x) => parseElement(x).getChildText("body"))).toEqual(["m0", null]);
    expect(await ask(`<iq xmlns="jabber:client" type="get" id="e3"><offline xmlns="${OFFLINE}"><item action="view" node="${expiring}"/></offline></iq>`)).toEqual([
      `<iq xmlns="jabber:client" type="error" id="e3"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`,
    ]);
    expect((await h.offline.list("bob@localhost")).map((r) => r.id)).toEqual(ids);
  });

  it("answers nobody when the requesting session is gone", async () => {
    await setup(["m0"]);
    expect(await ask(`<iq xmlns="jabber:client" type="get" id="g1"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`)).toHaveLength(2);
    const inbox = h.inbox("gw2");
    const before = inbox.length;
    await h.send(work(`<iq xmlns="jabber:client" type="get" id="g2"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`, BOB, "another-conn"));
    await settled();
    expect(inbox.length).toBe(before);
  });

  it("with a flexible session: no flush flood, and a new chat message is delivered at once, not stored behind the others", async () => {
    await setup(["m0"]);
    await h.sessions.setPresence(BOB, "c7", { available: true, priority: 0 });
    const inbox = h.inbox("gw2");
    await h.send({ t: "flush", jid: BOB, gw: "gw2", conn: "c7" });
    await settled();
    expect(inbox).toEqual([]);
    const live = messageWork("bob@localhost", "alice@localhost/phone", "live");
    await h.sessions.addQueued("bob@localhost", 1);
    await h.send(live);
    await settled();
    expect(xmls(inbox)).toEqual([live.xml]);
    expect((await h.offline.list("bob@localhost")).map((r) => parseElement(r.stanza).getChildText("body"))).toEqual(["m0"]);
    expect((await h.sessions.lookup(["bob@localhost"])).get("bob@localhost")?.queued).toBe(1);
  });
});
