// XEP-0079 in the router (amp-direct.ts): a message whose rules meet no condition, to a
// recipient with an available resource and nothing queued, is delivered by the router without
// <amp/>; anything else goes to the AMP worker's queue untouched.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { canon, harnessClient } from "./test-client.ts";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

const AMP = "http://jabber.org/protocol/amp";
const C = "urn:xmpp:carbons:2";
let h: Harness;
let db: TestDb;

beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
afterEach(() => h.close());

const byId = (id: string) => (el: Element) => el.attrs.id === id;
const amp = (id: string, rules: string, type = "chat") =>
  `<message to="juliet@example.com" type="${type}" id="${id}"><body>hi ${id}</body><amp xmlns="${AMP}">${rules}</amp></message>`;
/** Messages romeo's connection put on the AMP work queue (keys gw:conn:seq; flushes are keyed apart). */
const queuedBy = (c: { gw: string; conn: string }) => h.stored.filter((k) => k.startsWith(`${c.gw}:${c.conn}:`)).length;

describe("XEP-0079 rules evaluated by the router", () => {
  it("delivers a message no rule applies to without <amp/>, queues nothing, and copies it to carbons as delivered and as sent", async () => {
    h = await startHarness(db, { config: { amp: { security: "none" } } });
    const balcony = await harnessClient(h, "juliet", "balcony", "gw1", "<presence><priority>5</priority></presence>");
    const tablet = await harnessClient(h, "juliet", "tablet", "gw2");
    const orchard = await harnessClient(h, "romeo", "orchard", "gw2");
    const garden = await harnessClient(h, "romeo", "garden", "gw1");
    for (const c of [tablet, garden]) {
      await c.send(`<iq type="set" id="en"><enable xmlns="${C}"/></iq>`);
      await c.next(byId("en"));
    }
    // deliver=stored is not met for a message that is delivered now (DP-07).
    await orchard.send(amp("d1", `<rule condition="deliver" action="error" value="stored"/>`));
    expect(canon(await balcony.next(byId("d1")))).toBe(canon(`<message to="juliet@example.com" type="chat" id="d1" from="${orchard.jid}"><body>hi d1</body></message>`));
    expect(canon(await tablet.next((el) => el.getChild("received", C) !== undefined))).toBe(canon(
      `<message xmlns="jabber:client" from="juliet@example.com" to="${tablet.jid}" type="chat"><received xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">` +
      `<message xmlns="jabber:client" to="juliet@example.com" type="chat" id="d1" from="${orchard.jid}"><body>hi d1</body></message></forwarded></received></message>`));
    // §7: the sender's other resource sees what it sent, rules and all.
    const sent = await garden.next((el) => el.getChild("sent", C) !== undefined);
    expect(sent.getChild("sent", C)!.getChild("forwarded")!.getChild("message")!.getChild("amp", AMP)).toBeDefined();
    expect(queuedBy(orchard)).toBe(0);
  });

  it("leaves to the worker a message that would be stored, and lines up what follows it, AMP or plain, behind it", async () => {
    h = await startHarness(db, { config: { amp: { security: "none" } }, holdWork: true });
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    // juliet offline: stored, the worker's (DP-07 stored).
    await romeo.send(amp("s1", `<rule condition="expire-at" action="drop" value="2999-01-01T00:00:00Z"/>`));
    const balcony = await harnessClient(h, "juliet", "balcony", "gw1");
    // Online, but s1 is still queued for her (the held worker never acks it): in line behind it.
    await romeo.send(amp("q1", `<rule condition="deliver" action="error" value="stored"/>`));
    await romeo.send(`<message to="juliet@example.com" type="chat" id="p1"><body>plain</body></message>`);
    await new Promise((r) => setTimeout(r, 200));
    expect(queuedBy(romeo)).toBe(3);
    expect(balcony.inbox().filter((el) => el.name === "message")).toEqual([]);
  });

  it("sends to the worker a met rule (its event needs the outbox) and a headline, and delivers nothing itself", async () => {
    h = await startHarness(db, { config: { amp: { security: "none" } }, holdWork: true });
    const balcony = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    await romeo.send(amp("n1", `<rule condition="deliver" action="notify" value="direct"/>`));
    await romeo.send(amp("h1", `<rule condition="deliver" action="error" value="stored"/>`, "headline"));
    await romeo.send(amp("x1", `<rule condition="expire-at" action="error" value="2000-01-01T00:00:00Z"/>`));
    await new Promise((r) => setTimeout(r, 200));
    expect(queuedBy(romeo)).toBe(3);
    expect(balcony.inbox().filter((el) => el.name === "message")).toEqual([]);
  });

  it("under strict security delivers here what drop or the roster allows, and leaves a refusal to the worker", async () => {
    h = await startHarness(db, { holdWork: true });
    const balcony = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    // drop is never refused (DP-11): delivered here without a roster read.
    await romeo.send(amp("r1", `<rule condition="deliver" action="drop" value="stored"/>`));
    expect((await balcony.next(byId("r1"))).getChild("amp", AMP)).toBeUndefined();
    // juliet lets romeo see her presence: his error rule is allowed.
    await db.rosters.upsert("juliet@example.com", { jid: "romeo@example.com", name: null, subscription: "from", ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] });
    await romeo.send(amp("r2", `<rule condition="deliver" action="error" value="stored"/>`));
    await balcony.next(byId("r2"));
    expect(queuedBy(romeo)).toBe(0);
    // Without it the rule would be refused: the worker answers that, and what follows lines up behind.
    await db.rosters.remove("juliet@example.com", "romeo@example.com");
    await romeo.send(amp("r3", `<rule condition="deliver" action="error" value="stored"/>`));
    await romeo.send(amp("r4", `<rule condition="deliver" action="drop" value="stored"/>`));
    await new Promise((r) => setTimeout(r, 200));
    expect(queuedBy(romeo)).toBe(2);
    expect(balcony.inbox().filter((el) => el.name === "message").map((el) => el.attrs.id)).toEqual(["r1", "r2"]);
  });
});
