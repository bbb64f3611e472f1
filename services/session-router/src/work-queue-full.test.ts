// The AMP work queue at its bound (amp.queue.maxMessages): the router bounces what it cannot
// enqueue with resource-constraint (RFC 6120 §8.3.3.18), acknowledges the seq and counts it
// (docs/bounds.md); the stored message stays, and the account's queued count is restored.
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from "vitest";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

let h: Harness;
let db: TestDb;

beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(async () => {
  await db.sql.close();
});
beforeEach(async () => {
  // One stored message fills the queue; the stalled worker never acks it.
  h = await startHarness(db, { config: { amp: { queue: { maxMessages: 1 } } }, holdWork: true });
});
afterEach(async () => {
  await h.close();
});

async function bound(user: string, resource: string): Promise<{ jid: string; conn: string }> {
  const conn = `c-${user}`;
  await h.login("gw1", conn, user);
  h.send("gw1", { t: "stanza", conn, jid: `${user}@example.com`, xml: `<iq type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${resource}</resource></bind></iq>` });
  await h.next((e) => e.t === "bound" && e.conn === conn);
  return { jid: `${user}@example.com/${resource}`, conn };
}
const julietOnline = () => bound("juliet", "balcony");

/** Sends as this session and waits for the seq's ack; returns what the gateway got meanwhile for her. */
async function say(juliet: { jid: string; conn: string }, xml: string) {
  const since = h.received.length;
  const seq = h.send("gw1", { t: "stanza", conn: juliet.conn, jid: juliet.jid, xml });
  await h.next((e) => e.t === "ack" && e.conn === juliet.conn && e.seq === seq, since);
  return h.received.slice(since).filter((e) => e.t === "deliver" && e.conn === juliet.conn).map((e) => ("xml" in e ? e.xml : ""));
}

const outcomes = () => h.router.registry.getSingleMetricAsString("xmpp_router_stanza_outcomes_total");

describe("AMP work queue full", () => {
  it("bounces an offline message with resource-constraint (wait), acknowledges it and counts it", async () => {
    const juliet = await julietOnline();
    expect(await say(juliet, `<message to="romeo@example.com" id="m1" type="chat"><body>first</body></message>`)).toEqual([]);
    const replies = await say(juliet, `<message to="romeo@example.com" id="m2" type="chat"><body>second</body></message>`);
    expect(replies).toEqual([
      `<message to="juliet@example.com/balcony" from="romeo@example.com" type="error" id="m2"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
    ]);
    // The stored one is still there for the worker; nothing else was queued.
    expect(h.work.flatMap((w) => (w.t === "message" ? [/ id="(m\d)"/.exec(w.xml)?.[1]] : []))).toEqual(["m1"]);
    expect(await outcomes()).toContain('outcome="bounced",reason="work-queue-full"} 1');
    // Counted queued for the stored one only: the refused one gave its count back.
    expect((await h.sessions.lookup(["romeo@example.com"])).get("romeo@example.com")?.queued).toBe(1);
  });

  it("bounces an XEP-0079 message the same way", async () => {
    const juliet = await julietOnline();
    await say(juliet, `<message to="romeo@example.com" id="m1" type="chat"><body>first</body></message>`);
    const amp = `<amp xmlns="http://jabber.org/protocol/amp"><rule condition="deliver" action="drop" value="stored"/></amp>`;
    const replies = await say(juliet, `<message to="romeo@example.com" id="a1" type="chat"><body>amp</body>${amp}</message>`);
    expect(replies).toEqual([
      `<message to="juliet@example.com/balcony" from="romeo@example.com" type="error" id="a1"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
    ]);
    expect(await outcomes()).toContain('outcome="bounced",reason="work-queue-full"} 1');
  });

  it("lets an initial presence through whose flush found the queue full: the stored messages stay stored", async () => {
    const juliet = await julietOnline();
    await say(juliet, `<message to="romeo@example.com" id="m1" type="chat"><body>first</body></message>`);
    const romeo = await bound("romeo", "orchard");
    // Its own presence comes back to it (RFC 6121 §4.2.2); no error does.
    expect(await say(romeo, `<presence/>`)).toEqual([`<presence from="romeo@example.com/orchard" to="romeo@example.com"/>`]);
    expect(h.work.map((w) => w.t)).toEqual(["message"]);
  });
});
