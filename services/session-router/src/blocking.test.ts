// XEP-0191 through the router with a fake gateway: juliet blocks romeo; stanzas both ways are
// refused as §5.3 says, his presence subscription sees her go unavailable, and all of it ends
// when she unblocks him (§5.4, §5.5).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { canon, harnessClient } from "./test-client.ts";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

const B = "urn:xmpp:blocking";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
let h: Harness;
let db: TestDb;

beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
beforeEach(async () => {
  for (const t of ["roster", "roster_versions", "blocklist", "blocklist_versions"]) await db.sql.query(`DELETE FROM core.${t}`);
  h = await startHarness(db);
});
afterEach(() => h.close());

const byId = (id: string) => (el: Element) => el.attrs.id === id;
const chat = (from: string, body: string) => (el: Element) => el.name === "message" && el.attrs.from === from && el.getChildText("body") === body;

/** juliet and romeo subscribed to each other's presence. */
async function friends() {
  const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
  const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
  for (const [a, b] of [[juliet, romeo], [romeo, juliet]] as const) {
    await a.send(`<presence to="${b.jid.split("/")[0]}" type="subscribe"/>`);
    await b.send(`<presence to="${a.jid.split("/")[0]}" type="subscribed"/>`);
    await a.next((el) => el.name === "presence" && el.attrs.from === b.jid && el.attrs.type === undefined);
  }
  return { juliet, romeo };
}

describe("XEP-0191 blocking in the router", () => {
  it("blocks both ways, pushes, sends unavailable, and unblocks", async () => {
    const { juliet, romeo } = await friends();
    const tablet = await harnessClient(h, "juliet", "tablet", "gw2");
    await tablet.send(`<iq type="get" id="bl0"><blocklist xmlns="${B}"/></iq>`);
    expect(canon(await tablet.next(byId("bl0")))).toBe(canon(`<iq type="result" id="bl0" to="${tablet.jid}"><blocklist xmlns="${B}"/></iq>`));

    await juliet.send(`<iq type="set" id="b1"><block xmlns="${B}"><item jid="Romeo@Example.com"/></block></iq>`);
    expect((await juliet.next(byId("b1"))).attrs.type).toBe("result");
    // Only the resource that asked for the list gets the push (§5.3).
    const push = await tablet.next((el) => el.name === "iq" && el.attrs.type === "set");
    expect(canon(push.getChild("block", B)!)).toBe(canon(`<block xmlns="${B}"><item jid="romeo@example.com"/></block>`));
    expect(juliet.inbox().some((el) => el.name === "iq" && el.attrs.type === "set")).toBe(false);
    // §5.3: romeo (subscribed to juliet) sees both of her resources go unavailable.
    for (const r of [juliet, tablet]) await romeo.next((el) => el.name === "presence" && el.attrs.from === r.jid && el.attrs.type === "unavailable");

    await romeo.send(`<message to="juliet@example.com" type="chat" id="m1"><body>hello?</body></message>`);
    const bounced = await romeo.next(byId("m1"));
    expect(bounced.attrs).toMatchObject({ type: "error", from: "juliet@example.com", to: romeo.jid });
    expect(bounced.getChild("error")!.getChild("service-unavailable", STANZAS)).toBeDefined();
    await romeo.send(`<iq type="get" id="q1" to="${juliet.jid}"><query xmlns="jabber:iq:version"/></iq>`);
    expect((await romeo.next(byId("q1"))).getChild("error")!.getChild("service-unavailable", STANZAS)).toBeDefined();
    await romeo.send(`<presence><status>still here</status></presence>`);

    await juliet.send(`<message to="romeo@example.com" type="chat" id="m2"><body>go away</body></message>`);
    expect(canon(await juliet.next(byId("m2")))).toBe(canon(
      `<message type="error" id="m2" from="romeo@example.com" to="${juliet.jid}"><error type="cancel"><not-acceptable xmlns="${STANZAS}"/><blocked xmlns="urn:xmpp:blocking:errors"/></error></message>`));
    expect(romeo.inbox().some(chat(juliet.jid, "go away"))).toBe(false);
    expect(juliet.inbox().some((el) => el.name === "message" && el.attrs.from === romeo.jid && el.attrs.type !== "error")).toBe(false);
    expect(juliet.inbox().some((el) => el.name === "presence" && el.getChildText("status") === "still here")).toBe(false);
    // The AMP path (XEP-0079) is refused the same way, before anything is queued.
    await romeo.send(`<message to="juliet@example.com" type="chat" id="m6"><body>amp</body><amp xmlns="http://jabber.org/protocol/amp"><rule condition="deliver" action="drop" value="stored"/></amp></message>`);
    expect((await romeo.next(byId("m6"))).getChild("error")!.getChild("service-unavailable", STANZAS)).toBeDefined();
    expect(h.work.filter((w) => w.t === "message")).toEqual([]);
    expect(await db.sql.query(`SELECT owner, jid FROM core.blocklist`)).toMatchObject({ rows: [{ owner: "juliet@example.com", jid: "romeo@example.com" }] });

    // §5.5: unblock all; romeo sees juliet's presence again and she sees his; messages flow.
    await juliet.send(`<iq type="set" id="u1"><unblock xmlns="${B}"/></iq>`);
    expect(canon((await tablet.next((el) => el.name === "iq" && el.attrs.type === "set" && el.getChild("unblock", B) !== undefined)).getChild("unblock", B)!)).toBe(canon(`<unblock xmlns="${B}"/>`));
    const available = (el: Element) => el.name === "presence" && el.attrs.from === juliet.jid && el.attrs.type === undefined;
    await romeo.next(() => romeo.inbox().filter(available).length === 2);
    await juliet.next((el) => el.name === "presence" && el.getChildText("status") === "still here");
    await romeo.send(`<message to="juliet@example.com" type="chat" id="m3"><body>back?</body></message>`);
    await juliet.next(chat(romeo.jid, "back?"));
  });

  it("keeps enforcing after the cached list is lost, loading it again from the database", async () => {
    const juliet = await harnessClient(h, "juliet", "balcony");
    await juliet.send(`<iq type="set" id="b1"><block xmlns="${B}"><item jid="example.com/orchard"/></block></iq>`);
    // A Redis restart loses the copy: a new router on a fresh session store must still refuse,
    // here while juliet is offline (no login has loaded her list again).
    await h.close();
    h = await startHarness(db);
    expect((await h.sessions.lookup(["juliet@example.com"])).get("juliet@example.com")?.blocked).toBeNull();
    const romeo = await harnessClient(h, "romeo", "orchard", "gw1", null);
    await romeo.send(`<message to="juliet@example.com" type="chat" id="m1"><body>hi</body></message>`);
    expect((await romeo.next(byId("m1"))).getChild("error")!.getChild("service-unavailable", STANZAS)).toBeDefined();
    expect(h.work).toEqual([]);
    expect((await h.sessions.lookup(["juliet@example.com"])).get("juliet@example.com")?.blocked).toEqual(["example.com/orchard"]);
  });

  it("answers bad-request to an empty block and jid-malformed to a bad item", async () => {
    const juliet = await harnessClient(h, "juliet", "balcony");
    await juliet.send(`<iq type="set" id="e1"><block xmlns="${B}"/></iq>`);
    expect((await juliet.next(byId("e1"))).getChild("error")!.getChild("bad-request", STANZAS)).toBeDefined();
    await juliet.send(`<iq type="set" id="e2"><block xmlns="${B}"><item jid="@bad"/></block></iq>`);
    expect((await juliet.next(byId("e2"))).getChild("error")!.getChild("jid-malformed", STANZAS)).toBeDefined();
  });
});
