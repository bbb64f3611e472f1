// Messages a gateway sends back because they reached a stream without XEP-0198 after it ended
// (returned.ts): stored (as offline work) only for the account this router saw on that very
// connection, which it closed lately.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encode, subjects, type Returned } from "@xmppd/bus";
import { harnessClient } from "./test-client.ts";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

let h: Harness;
let db: TestDb;
beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
afterEach(() => h.close());

const chat = (to: string, id: string) => `<message from="romeo@example.com/pc" to="${to}" type="chat" id="${id}"><body>${id}</body></message>`;
/** Publishes as gateway `as` (the subject names the sender, as NATS permissions enforce). */
const sendBack = (as: string, items: Returned["items"], claim: Partial<Returned> & { conn: string }) =>
  h.bus.publish(subjects(h.config.cluster).toRouter("r1", as), encode<Returned>({ t: "returned", gw: as, items, ...claim }));
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; !check(); i++) {
    if (i > 300) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("messages sent back by a gateway", () => {
  it("are stored for the account of the connection the router closed, and only addressed to it", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "phone");
    const romeo = await harnessClient(h, "romeo", "pc", "gw2");
    const seq = h.send("gw1", { t: "closed", conn: juliet.conn, jid: juliet.jid, reason: "stream closed by client" });
    await h.next((e) => e.t === "ack" && e.conn === juliet.conn && e.seq >= seq);

    // Refused: gw2 naming gw1's connection, a connection still open, a message for someone else.
    sendBack("gw2", [{ n: 1, xml: chat(juliet.jid, "forged-gw") }], { conn: juliet.conn });
    sendBack("gw2", [{ n: 1, xml: chat(romeo.jid, "still-open") }], { conn: romeo.conn });
    sendBack("gw1", [{ n: 1, xml: chat(romeo.jid, "not-hers") }, { n: 2, xml: chat(juliet.jid, "late") }], { conn: juliet.conn });
    await until(() => h.work.some((w) => w.t === "message"));
    const messages = h.work.filter((w) => w.t === "message");
    expect(messages).toEqual([expect.objectContaining({ t: "message", key: `sm:ret:gw1:${juliet.conn}:2`, to: juliet.jid, from: "romeo@example.com/pc", xml: chat(juliet.jid, "late") })]);
    expect((await h.sessions.lookup(["juliet@example.com"])).get("juliet@example.com")?.queued).toBe(1);
    const refused = await h.router.registry.getSingleMetricAsString("xmpp_router_refused_envelopes_total");
    expect(refused).toContain('reason="unbound-connection"} 2');
    expect(refused).toContain('reason="jid-mismatch"} 1');
  });
});
