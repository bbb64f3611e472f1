// XEP-0280 through the router with a fake gateway: juliet's two resources, on two gateways, get
// received and sent copies of her chat with romeo; private and ineligible messages are not copied.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { canon, harnessClient } from "./test-client.ts";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

const C = "urn:xmpp:carbons:2";
let h: Harness;
let db: TestDb;

beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
beforeEach(async () => {
  h = await startHarness(db);
});
afterEach(() => h.close());

const byId = (id: string) => (el: Element) => el.attrs.id === id;
const carbon = (kind: string, id: string) => (el: Element) => el.name === "message" && el.getChild(kind, C)?.getChild("forwarded")?.getChild("message")?.attrs.id === id;

describe("XEP-0280 carbons in the router", () => {
  it("copies received and sent chat messages to the other enabled resource only", async () => {
    const balcony = await harnessClient(h, "juliet", "balcony", "gw1", "<presence><priority>5</priority></presence>");
    const tablet = await harnessClient(h, "juliet", "tablet", "gw2");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    for (const r of [balcony, tablet]) {
      await r.send(`<iq type="set" id="en"><enable xmlns="${C}"/></iq>`);
      expect(canon(await r.next(byId("en")))).toBe(canon(`<iq type="result" id="en" to="${r.jid}"/>`));
    }
    expect((await h.sessions.get("juliet@example.com")).map((s) => s.carbons)).toEqual([true, true]);

    await romeo.send(`<message to="juliet@example.com" type="chat" id="m1"><body>hi</body></message>`);
    await balcony.next(byId("m1"));
    expect(canon(await tablet.next(carbon("received", "m1")))).toBe(canon(
      `<message xmlns="jabber:client" from="juliet@example.com" to="${tablet.jid}" type="chat"><received xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">` +
      `<message xmlns="jabber:client" to="juliet@example.com" type="chat" id="m1" from="${romeo.jid}"><body>hi</body></message></forwarded></received></message>`));

    await balcony.send(`<message to="${romeo.jid}" type="chat" id="m2"><body>hello</body></message>`);
    await romeo.next(byId("m2"));
    expect(canon(await tablet.next(carbon("sent", "m2")))).toBe(canon(
      `<message xmlns="jabber:client" from="juliet@example.com" to="${tablet.jid}" type="chat"><sent xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">` +
      `<message xmlns="jabber:client" to="${romeo.jid}" type="chat" id="m2" from="${balcony.jid}"><body>hello</body></message></forwarded></sent></message>`));

    // §7.1 private, and a headline: not copied. Disabled resources get nothing either.
    await romeo.send(`<message to="juliet@example.com" type="chat" id="m3"><body>secret</body><private xmlns="${C}"/></message>`);
    // §7.1: delivered without its <private/> marker.
    expect((await balcony.next(byId("m3"))).getChild("private", C)).toBeUndefined();
    await romeo.send(`<message to="juliet@example.com" type="headline" id="m4"><body>news</body></message>`);
    await balcony.next(byId("m4"));
    await tablet.send(`<iq type="set" id="dis"><disable xmlns="${C}"/></iq>`);
    await romeo.send(`<message to="juliet@example.com" type="chat" id="m5"><body>again</body></message>`);
    await balcony.next(byId("m5"));
    await new Promise((r) => setTimeout(r, 100));
    expect(tablet.inbox().filter((el) => el.getChild("received", C) || el.getChild("sent", C)).length).toBe(2);
    expect(balcony.inbox().some((el) => el.getChild("received", C) || el.getChild("sent", C))).toBe(false);
  });

  it("sends a sent copy even when the sending resource has not enabled carbons (§7)", async () => {
    const balcony = await harnessClient(h, "juliet", "balcony", "gw1");
    const tablet = await harnessClient(h, "juliet", "tablet", "gw2");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    await tablet.send(`<iq type="set" id="en"><enable xmlns="${C}"/></iq>`);
    await balcony.send(`<message to="romeo@example.com" type="chat" id="s1"><body>from the balcony</body></message>`);
    await romeo.next(byId("s1"));
    const copy = await tablet.next(carbon("sent", "s1"));
    expect(copy.attrs).toMatchObject({ from: "juliet@example.com", to: tablet.jid, type: "chat" });
    // Offline recipient: the message is stored, and the copy still goes out.
    await balcony.send(`<message to="nobody@example.com" type="chat" id="s2"><body>later</body></message>`);
    await tablet.next(carbon("sent", "s2"));
    expect(h.work.flatMap((w) => (w.t === "message" ? [w.to] : []))).toEqual(["nobody@example.com"]);
  });
});
