// RFC 6121 through the router with a fake gateway: rosters, subscriptions and presence as the
// envelopes the gateways would carry to juliet's and romeo's clients.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Element } from "@xmppd/xml";
import { harnessClient, type HarnessClient } from "./test-client.ts";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

const R = "jabber:iq:roster";
let h: Harness;
let db: TestDb;

beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
beforeEach(async () => {
  await db.sql.query("DELETE FROM core.roster");
  await db.sql.query("DELETE FROM core.roster_versions");
  h = await startHarness(db);
});
afterEach(() => h.close());

/** A harness client that may fetch its roster before its initial presence (RFC 6121 §4.2.1 order). */
async function connect(user: string, resource: string, gw = "gw1", opts: { presence?: string | null; roster?: boolean } = {}): Promise<HarnessClient> {
  const client = await harnessClient(h, user, resource, gw, null);
  if (opts.roster) {
    await client.send(`<iq type="get" id="roster1"><query xmlns="${R}"/></iq>`);
    await client.next((el) => el.attrs.id === "roster1");
  }
  if (opts.presence !== null) await client.send(opts.presence ?? "<presence/>");
  return client;
}

const isPresence = (from: string, type?: string) => (el: Element) => el.name === "presence" && el.attrs.from === from && el.attrs.type === type;
const pushOf = (el: Element) => (el.name === "iq" && el.attrs.type === "set" ? el.getChild("query", R)?.getChild("item")?.attrs : undefined);

describe("subscriptions and presence between two gateways", () => {
  it("subscribes, approves, pushes each state, and lets presence flow one way", async () => {
    const juliet = await connect("juliet", "balcony", "gw1", { roster: true, presence: "<presence><show>away</show></presence>" });
    const romeo = await connect("romeo", "orchard", "gw2", { roster: true });
    await romeo.send(`<presence to="juliet@example.com" type="subscribe" id="s1"><status>let me see you</status></presence>`);
    expect(pushOf(await romeo.next((el) => pushOf(el)?.jid === "juliet@example.com"))).toEqual({ jid: "juliet@example.com", subscription: "none", ask: "subscribe" });
    const request = await juliet.next(isPresence("romeo@example.com", "subscribe"));
    expect(request.attrs).toMatchObject({ to: "juliet@example.com", id: "s1" });
    expect(request.getChildText("status")).toBe("let me see you");
    // RFC 6121 §3.1.3: a pending request is not a roster item for juliet.
    expect(juliet.inbox().some((el) => pushOf(el) !== undefined)).toBe(false);

    await juliet.send(`<presence to="romeo@example.com" type="subscribed"/>`);
    expect(pushOf(await juliet.next((el) => pushOf(el)?.jid === "romeo@example.com"))).toEqual({ jid: "romeo@example.com", subscription: "from" });
    expect(pushOf(await romeo.next((el) => pushOf(el)?.subscription === "to"))).toEqual({ jid: "juliet@example.com", subscription: "to" });
    await romeo.next(isPresence("juliet@example.com", "subscribed"));
    // §3.1.5: juliet's current presence follows her approval.
    const current = await romeo.next(isPresence(juliet.jid));
    expect(current.getChildText("show")).toBe("away");
    // One way only: romeo's presence does not reach juliet.
    await romeo.send(`<presence><status>here</status></presence>`);
    await juliet.send(`<presence><show>chat</show></presence>`);
    expect((await romeo.next((el) => isPresence(juliet.jid)(el) && el.getChildText("show") === "chat")).attrs.to).toBe("romeo@example.com");
    expect(juliet.inbox().some(isPresence(romeo.jid))).toBe(false);
    expect((await db.rosters.get("romeo@example.com")).items).toEqual([expect.objectContaining({ jid: "juliet@example.com", subscription: "to", ask: null })]);
  });

  it("tells subscribers and directed-presence addressees of a closed session, and of a dead gateway", async () => {
    const juliet = await connect("juliet", "balcony", "gw1");
    const romeo = await connect("romeo", "orchard", "gw2");
    await romeo.send(`<presence to="juliet@example.com" type="subscribe"/>`);
    await juliet.next(isPresence("romeo@example.com", "subscribe"));
    await juliet.send(`<presence to="romeo@example.com" type="subscribed"/>`);
    await romeo.next(isPresence(juliet.jid));
    // Directed presence from romeo, who juliet has not subscribed to.
    await romeo.send(`<presence to="${juliet.jid}"><status>psst</status></presence>`);
    await juliet.next(isPresence(romeo.jid));
    h.send("gw1", { t: "closed", conn: juliet.conn, jid: juliet.jid, reason: "eof" });
    await romeo.next(isPresence(juliet.jid, "unavailable"));

    const juliet2 = await connect("juliet", "tomb", "gw1");
    await romeo.next(isPresence(juliet2.jid));
    // The gateway carrying romeo dies: juliet got his directed presence, so she hears he left.
    await romeo.send(`<presence to="juliet@example.com"/>`);
    await juliet2.next(isPresence(romeo.jid));
    h.beating.delete("gw2");
    await juliet2.next(isPresence(romeo.jid, "unavailable"), 3000);
    expect(await h.sessions.get("romeo@example.com")).toEqual([]);
  });

  it("tells subscribers that a session replaced by a bind of the same resource is gone (RFC 6120 §7.7.2.2)", async () => {
    const juliet = await connect("juliet", "balcony", "gw1");
    const romeo = await connect("romeo", "orchard", "gw2");
    await romeo.send(`<presence to="juliet@example.com" type="subscribe"/>`);
    await juliet.next(isPresence("romeo@example.com", "subscribe"));
    await juliet.send(`<presence to="romeo@example.com" type="subscribed"/>`);
    await romeo.next(isPresence(juliet.jid));
    await connect("juliet", "balcony", "gw2", { presence: null });
    await romeo.next(isPresence(juliet.jid, "unavailable"));
    // A negative priority only keeps messages away (RFC 6121 §4.7.2.3): the presence is broadcast.
    const shy = await connect("juliet", "shy", "gw1", { presence: "<presence><priority>-5</priority></presence>" });
    expect((await romeo.next(isPresence(shy.jid))).getChildText("priority")).toBe("-5");
  });

  it("keeps a request made while the contact is offline and delivers it after her initial presence", async () => {
    const romeo = await connect("romeo", "orchard", "gw2");
    await romeo.send(`<presence to="juliet@example.com" type="subscribe"><status>when you are back</status></presence>`);
    const juliet = await connect("juliet", "balcony", "gw1", { presence: null });
    await juliet.send("<presence/>");
    const request = await juliet.next(isPresence("romeo@example.com", "subscribe"));
    expect(request.getChildText("status")).toBe("when you are back");
    // She denies it: the hidden item is forgotten, romeo's request ends.
    await juliet.send(`<presence to="romeo@example.com" type="unsubscribed"/>`);
    await romeo.next(isPresence("juliet@example.com", "unsubscribed"));
    expect(await db.rosters.item("juliet@example.com", "romeo@example.com")).toBeNull();
    expect(await db.rosters.item("romeo@example.com", "juliet@example.com")).toMatchObject({ subscription: "none", ask: null });
  });

  it("approves a pre-approved request at once (RFC 6121 §3.4)", async () => {
    const juliet = await connect("juliet", "balcony", "gw1", { roster: true });
    await juliet.send(`<presence to="romeo@example.com" type="subscribed"/>`);
    expect(pushOf(await juliet.next((el) => pushOf(el) !== undefined))).toEqual({ jid: "romeo@example.com", subscription: "none", approved: "true" });
    const romeo = await connect("romeo", "orchard", "gw2");
    await romeo.send(`<presence to="juliet@example.com" type="subscribe"/>`);
    await romeo.next(isPresence("juliet@example.com", "subscribed"));
    await romeo.next(isPresence(juliet.jid));
    expect(juliet.inbox().some(isPresence("romeo@example.com", "subscribe"))).toBe(false);
  });

  it("answers a request from a contact already subscribed with subscribed, on the account's behalf (RFC 6121 §3.1.3)", async () => {
    const juliet = await connect("juliet", "balcony", "gw1", { roster: true });
    const romeo = await connect("romeo", "orchard", "gw2", { roster: true });
    await romeo.send(`<presence to="juliet@example.com" type="subscribe"/>`);
    await juliet.next(isPresence("romeo@example.com", "subscribe"));
    await juliet.send(`<presence to="romeo@example.com" type="subscribed"/>`);
    await romeo.next(isPresence("juliet@example.com", "subscribed"));
    // romeo (already 'to' juliet; 'from' on her roster) asks again, e.g. after losing his roster.
    await romeo.send(`<presence to="juliet@example.com" type="subscribe" id="again"/>`);
    const auto = await romeo.next((el) => isPresence("juliet@example.com", "subscribed")(el) && el.attrs.id === "again");
    expect(auto.attrs).toEqual({ xmlns: "jabber:client", type: "subscribed", from: "juliet@example.com", to: "romeo@example.com", id: "again" });
    expect(juliet.inbox().filter(isPresence("romeo@example.com", "subscribe"))).toHaveLength(1);
    expect((await db.rosters.get("juliet@example.com")).items).toEqual([expect.objectContaining({ jid: "romeo@example.com", subscription: "from" })]);
    expect((await db.rosters.get("romeo@example.com")).items).toEqual([expect.objectContaining({ jid: "juliet@example.com", subscription: "to", ask: null })]);
  });

  it("removing a roster item cancels both subscriptions (RFC 6121 §2.5.2)", async () => {
    const juliet = await connect("juliet", "balcony", "gw1");
    const romeo = await connect("romeo", "orchard", "gw2", { roster: true });
    for (const [a, b] of [[romeo, "juliet"], [juliet, "romeo"]] as const) {
      await a.send(`<presence to="${b}@example.com" type="subscribe"/>`);
      await (a === romeo ? juliet : romeo).next(isPresence(`${a === romeo ? "romeo" : "juliet"}@example.com`, "subscribe"));
      await (a === romeo ? juliet : romeo).send(`<presence to="${a === romeo ? "romeo" : "juliet"}@example.com" type="subscribed"/>`);
    }
    await romeo.next((el) => pushOf(el)?.subscription === "both");
    await juliet.send(`<iq type="set" id="rm"><query xmlns="${R}"><item jid="romeo@example.com" subscription="remove"/></query></iq>`);
    await juliet.next((el) => el.attrs.id === "rm" && el.attrs.type === "result");
    await romeo.next(isPresence("juliet@example.com", "unsubscribe"));
    await romeo.next(isPresence("juliet@example.com", "unsubscribed"));
    await romeo.next(isPresence(juliet.jid, "unavailable"));
    const lastPush = () => romeo.inbox().filter((el) => pushOf(el) !== undefined).map(pushOf).at(-1);
    await expect.poll(lastPush).toEqual({ jid: "juliet@example.com", subscription: "none" });
    expect(await db.rosters.item("romeo@example.com", "juliet@example.com")).toMatchObject({ subscription: "none", ask: null, pendingIn: false });
  });

  it("answers a request to an account that does not exist with unsubscribed", async () => {
    const romeo = await connect("romeo", "orchard", "gw2", { roster: true });
    await romeo.send(`<presence to="nobody@example.com" type="subscribe"/>`);
    const answer = await romeo.next(isPresence("nobody@example.com", "unsubscribed"));
    expect(answer.attrs.to).toBe("romeo@example.com");
    const last = () => romeo.inbox().map(pushOf).filter((p) => p !== undefined).at(-1);
    await expect.poll(last).toEqual({ jid: "nobody@example.com", subscription: "none" });
  });

  it("refuses a subscription that a full roster cannot hold", async () => {
    const fill = (owner: string) => db.sql.query(
      `INSERT INTO core.roster (owner, contact, version) SELECT $1, 'c' || i || '@example.com', i FROM generate_series(1, 1000) AS i`, [owner]);
    const romeo = await connect("romeo", "orchard", "gw2");
    await fill("juliet@example.com");
    await romeo.send(`<presence to="juliet@example.com" type="subscribe" id="full1"/>`);
    const err = await romeo.next((el) => el.attrs.id === "full1");
    expect(err.attrs).toMatchObject({ type: "error", from: "juliet@example.com" });
    expect(err.getChild("error")?.getChild("resource-constraint")).toBeDefined();
    await fill("romeo@example.com");
    // His own roster is full too: no new item for the request (juliet's item exists, the nurse's would not).
    await romeo.send(`<presence to="nurse@example.com" type="subscribe" id="full2"/>`);
    expect((await romeo.next((el) => el.attrs.id === "full2")).getChild("error")?.getChild("not-allowed")).toBeDefined();
  });

  it("answers an undefined presence type with bad-request, and a client's probe from the store", async () => {
    const romeo = await connect("romeo", "orchard", "gw2");
    await romeo.send(`<presence to="juliet@example.com" type="bogus" id="b1"/>`);
    const err = await romeo.next((el) => el.attrs.id === "b1");
    expect(err.attrs.type).toBe("error");
    expect(err.getChild("error")?.getChild("bad-request")).toBeDefined();
    await romeo.send(`<presence type="bogus" id="b2"/>`);
    expect((await romeo.next((el) => el.attrs.id === "b2")).attrs.type).toBe("error");
    const other = await connect("romeo", "study", "gw1", { presence: "<presence><priority>-1</priority></presence>" });
    await romeo.send(`<presence to="romeo@example.com" type="probe"/>`);
    expect((await romeo.next((el) => isPresence(other.jid)(el) && el.attrs.to === romeo.jid)).getChildText("priority")).toBe("-1");
  });
});
