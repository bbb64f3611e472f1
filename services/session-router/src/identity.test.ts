// Invariant 3 in the private tier: a gateway speaks for a connection only as the identity this
// router established on it (identity.ts). Each test plays a hostile gateway against the router.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { encode, subjects, type ToGateway } from "@xmppd/bus";
import { IDENTITY_RECHECK_MS } from "./identity.ts";
import type { Router } from "./router.ts";
import { harnessClient, type HarnessClient } from "./test-client.ts";
import { PASSWORD, createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

let h: Harness;
let db: TestDb;
beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
afterEach(() => {
  vi.useRealTimers();
  return h.close();
});

type Envelope = Parameters<Harness["send"]>[1];
const open = (conn: string): Envelope => ({ t: "open", conn, domain: "example.com", ip: "127.0.0.1", secure: true });
const chat = (to: string, body: string, from?: string) =>
  `<message xmlns='jabber:client' to='${to}' type='chat' id='${body}'${from === undefined ? "" : ` from='${from}'`}><body>${body}</body></message>`;

async function refused(router: Router, reason: string): Promise<number> {
  const metric = router.registry.getSingleMetric("xmpp_router_refused_envelopes_total");
  return (await metric!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Sends as gateway `gw` and waits until the router acknowledged it (a refused envelope is acknowledged too). */
async function sendAcked(gw: string, env: Envelope): Promise<void> {
  const seq = h.send(gw, env);
  await h.next((e) => e.t === "ack" && e.gw === gw && e.conn === env.conn && e.seq >= seq);
}

const deliveries = (since: number, pred: (e: Extract<ToGateway, { t: "deliver" }> & { gw: string }) => boolean) =>
  h.received.slice(since).filter((e): e is Extract<ToGateway, { t: "deliver" }> & { gw: string; storedBefore: number } => e.t === "deliver" && pred(e));

async function enable(c: HarnessClient): Promise<string> {
  const start = h.received.length;
  h.send(c.gw, { t: "sm", conn: c.conn, jid: c.jid, op: "enable" });
  const r = await h.next((e) => e.t === "sm" && e.conn === c.conn, start);
  if (r.t !== "sm" || r.op !== "enabled") throw new Error(`not enabled: ${JSON.stringify(r)}`);
  return r.id;
}

describe("the router believes no gateway name a gateway claims (92a017c)", () => {
  it("refuses an envelope or a heartbeat whose gateway is not its subject's", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const s = subjects(h.config.cluster);
    const since = h.received.length;
    // gw2, publishing as itself, names gw1 and juliet's connection.
    const forged = { t: "stanza", gw: "gw1", conn: juliet.conn, seq: 1000, jid: juliet.jid, xml: chat(romeo.jid, "forged", juliet.jid) };
    h.bus.publish(s.toRouter("r1", "gw2"), encode(forged));
    h.bus.publish(s.gatewayHeartbeat("gw2"), encode({ id: "gw1", ts: Date.now(), connections: 1 }));
    await expect.poll(() => refused(h.router, "heartbeat-mismatch")).toBe(1);
    await juliet.send(chat(romeo.jid, "real", juliet.jid));
    await romeo.next((m) => m.getChildText("body") === "real");
    expect(deliveries(since, (e) => e.xml.includes("forged"))).toEqual([]);
    expect(await refused(h.router, "gateway-mismatch")).toBe(1);
  });
});

describe("the router believes no JID a gateway names", () => {
  it("a connection it never authenticated cannot speak as an account bound elsewhere: nothing delivered, counted, reset", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const since = h.received.length;
    const forged = chat(romeo.jid, "forged", juliet.jid);
    // gw2 makes up a connection; so does juliet's own gateway: neither was authenticated.
    for (const [gw, conn] of [["gw2", "evil"], ["gw1", "evil1"]] as const) {
      h.send(gw, open(conn));
      await sendAcked(gw, { t: "stanza", conn, jid: juliet.jid, xml: forged });
    }
    expect(deliveries(since, (e) => e.conn === romeo.conn)).toEqual([]);
    expect(h.received.slice(since).filter((e) => e.t === "close")).toEqual([
      expect.objectContaining({ gw: "gw2", conn: "evil", condition: "reset" }),
      expect.objectContaining({ gw: "gw1", conn: "evil1", condition: "reset" }),
    ]);
    expect(await refused(h.router, "unbound-connection")).toBe(2);
  });

  it("refuses gw2's envelopes for gw1's connection id: no message, no unbinding", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const since = h.received.length;
    await sendAcked("gw2", { t: "stanza", conn: juliet.conn, jid: juliet.jid, xml: chat(romeo.jid, "forged", juliet.jid) });
    await sendAcked("gw2", { t: "closed", conn: juliet.conn, jid: juliet.jid, reason: "disconnected" });
    expect(deliveries(since, (e) => e.conn === romeo.conn)).toEqual([]);
    expect(await h.sessions.get("juliet@example.com")).toEqual([expect.objectContaining({ jid: juliet.jid, gateway: "gw1", conn: juliet.conn })]);
    expect(h.received.slice(since).filter((e) => e.t === "close")).toEqual([expect.objectContaining({ gw: "gw2", conn: juliet.conn, condition: "reset" })]);
    expect(await refused(h.router, "unbound-connection")).toBe(2);
    // juliet's own connection is untouched.
    await juliet.send(chat(romeo.jid, "real"));
    await romeo.next((m) => m.getChildText("body") === "real" && m.attrs.from === juliet.jid);
  });

  it("refuses a bound connection naming another JID, in a stanza or a closed", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const since = h.received.length;
    await sendAcked("gw2", { t: "stanza", conn: romeo.conn, jid: juliet.jid, xml: chat(romeo.jid, "as-juliet") });
    await sendAcked("gw2", { t: "stanza", conn: romeo.conn, jid: "juliet@example.com", xml: `<presence/>` });
    await sendAcked("gw2", { t: "closed", conn: romeo.conn, jid: juliet.jid, reason: "disconnected" });
    expect(deliveries(since, (e) => e.xml.includes("as-juliet"))).toEqual([]);
    expect(await refused(h.router, "jid-mismatch")).toBe(3);
    expect(h.received.slice(since).filter((e) => e.t === "close").map((e) => e.t === "close" && [e.gw, e.conn, e.condition])).toEqual([
      ["gw2", romeo.conn, "reset"],
      ["gw2", romeo.conn, "reset"],
    ]);
    expect((await h.sessions.get("juliet@example.com")).map((s) => s.jid)).toEqual([juliet.jid]);
    expect((await h.sessions.get("romeo@example.com")).map((s) => s.jid)).toEqual([romeo.jid]);
  });

  it("checks fast-path bytes: a forged from, a second stanza appended, or one without from deliver nothing forged", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const since = h.received.length;
    const hints = { name: "message", to: juliet.jid, type: "chat" };
    await sendAcked("gw2", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: chat(juliet.jid, "x1", "admin@example.com"), ...hints });
    const appended = chat(juliet.jid, "x2", romeo.jid) + chat(juliet.jid, "x3", "admin@example.com");
    await sendAcked("gw2", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: appended, ...hints });
    // Hints that disagree with the bytes: the router routes on what it parsed.
    await sendAcked("gw2", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: chat("romeo@example.com/nowhere", "x4", romeo.jid), ...hints });
    // No from at all: stamped by the router, then delivered (RFC 6120 §8.1.2.1).
    await sendAcked("gw2", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: chat(juliet.jid, "x5"), ...hints });
    const toJuliet = deliveries(since, (e) => e.conn === juliet.conn);
    expect(toJuliet.map((e) => e.xml)).toEqual([expect.stringContaining(`from="${romeo.jid}"`)]);
    expect(toJuliet[0]!.xml).toContain(">x5<");
    expect(h.received.slice(since).some((e) => "xml" in e && e.xml.includes("admin@example.com"))).toBe(false);
    expect(await refused(h.router, "jid-mismatch")).toBe(1);
    expect(await refused(h.router, "malformed-stanza")).toBe(1);
  });

  it("refuses an XEP-0198 resume naming another bare JID than the one authenticated, or none", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const id = await enable(juliet);
    await sendAcked("gw1", { t: "closed", conn: juliet.conn, jid: juliet.jid, reason: "disconnected", resumable: true });
    await h.login("gw2", "c-thief", "romeo");
    const since = h.received.length;
    await sendAcked("gw2", { t: "sm", conn: "c-thief", jid: "juliet@example.com", op: "resume", id, h: 0 });
    h.send("gw2", open("c-anon"));
    await sendAcked("gw2", { t: "sm", conn: "c-anon", jid: "juliet@example.com", op: "resume", id, h: 0 });
    expect(h.received.slice(since).filter((e) => e.t === "sm" || e.t === "deliver")).toEqual([]);
    expect(await refused(h.router, "jid-mismatch")).toBe(1);
    expect(await refused(h.router, "unbound-connection")).toBe(1);
    expect(await h.sessions.get("juliet@example.com")).toEqual([expect.objectContaining({ gateway: "gw1", conn: juliet.conn, sm: id })]);
  });

  it("numbers for a session only one stanza sent back by its gateway (XEP-0198 seq), nothing appended", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const id = await enable(juliet);
    const since = h.received.length;
    const appended = chat(juliet.jid, "ping", "example.com") + chat(juliet.jid, "forged", "admin@example.com");
    await sendAcked("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "seq", xml: appended });
    await sendAcked("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "seq", xml: chat(juliet.jid, "honest", "example.com") });
    expect(deliveries(since, () => true).map((e) => [e.sm, e.xml.includes(">honest<")])).toEqual([[1, true]]);
    expect((await h.sm.unacked(id, 0)).map((q) => q.xml)).toEqual([expect.stringContaining(">honest<")]);
    expect(await refused(h.router, "malformed-stanza")).toBe(1);
  });

  it("refuses SASL and pre-authentication IQs on a connection it already authenticated", async () => {
    h = await startHarness(db, { config: { legacyAuth: { enabled: true } } });
    await h.login("gw2", "c-twice", "romeo");
    const since = h.received.length;
    const plain = Buffer.from(`\0juliet\0${PASSWORD}`).toString("base64");
    await sendAcked("gw2", { t: "sasl", conn: "c-twice", xml: `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${plain}</auth>` });
    const legacy = `<iq type="set" id="l1"><query xmlns="jabber:iq:auth"><username>juliet</username><password>${PASSWORD}</password><resource>r</resource></query></iq>`;
    await sendAcked("gw2", { t: "preauth", conn: "c-twice", xml: legacy });
    expect(h.received.slice(since).filter((e) => e.t === "sasl" || e.t === "bound" || e.t === "preauth")).toEqual([]);
    expect(await refused(h.router, "already-authenticated")).toBe(2);
    expect(await h.sessions.get("juliet@example.com")).toEqual([]);
    // The connection is still romeo's: its bind binds romeo.
    h.send("gw2", { t: "stanza", conn: "c-twice", jid: "romeo@example.com", xml: `<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>` });
    expect(await h.next((e) => e.t === "bound" && e.conn === "c-twice", since)).toMatchObject({ jid: expect.stringMatching(/^romeo@example\.com\//) });
  });

  it("gives an 'open' claiming a victim's XEP-0198 id none of the victim's stanzas on replay", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const id = await enable(juliet);
    await romeo.send(chat(juliet.jid, "secret"));
    await h.next((e) => e.t === "deliver" && e.conn === juliet.conn && e.sm === 1);
    const since = h.received.length;
    // The field is gone from the envelope type; a hostile gateway sends it anyway.
    const claiming = (conn: string) => ({ ...open(conn), sm: id }) as unknown as Envelope;
    h.send("gw2", claiming(romeo.conn));
    await sendAcked("gw2", { t: "sm", conn: romeo.conn, jid: romeo.jid, op: "replay", after: 0 });
    h.send("gw2", claiming("c-fresh"));
    await sendAcked("gw2", { t: "sm", conn: "c-fresh", jid: juliet.jid, op: "replay", after: 0 });
    await sendAcked("gw2", { t: "sm", conn: romeo.conn, jid: romeo.jid, op: "ack", upTo: 1 });
    expect(deliveries(since, (e) => e.gw === "gw2")).toEqual([]);
    // Still unacknowledged in juliet's session.
    expect((await h.sm.unacked(id, 0)).map((q) => q.seq)).toEqual([1]);
  });

  it("after a router failover, adopts a bound connection's identity and XEP-0198 session from the session record", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    await enable(juliet);
    await romeo.send(chat(juliet.jid, "before"));
    await h.next((e) => e.t === "deliver" && e.conn === juliet.conn && e.sm === 1);
    const r2 = await h.addRouter("r2");
    await h.router.stop();
    h.via = "r2";
    // Each gateway replays the connection's "open" to the router taking it over (at the seq acknowledged so far): no JID, no session id.
    for (const c of [juliet, romeo]) h.reopen(c.gw, c.conn);
    const since = h.received.length;
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "replay", after: 0 });
    expect(await h.next((e) => e.t === "sm" && e.conn === juliet.conn, since)).toMatchObject({ op: "replayed", through: 1 });
    expect(deliveries(since, (e) => e.conn === juliet.conn).map((e) => [e.sm, e.xml.includes(">before<")])).toEqual([[1, true]]);
    await juliet.send(chat(romeo.jid, "after", juliet.jid));
    await romeo.next((m) => m.getChildText("body") === "after" && m.attrs.from === juliet.jid);
    await romeo.send(chat(juliet.jid, "back", romeo.jid));
    await h.next((e) => e.t === "deliver" && e.conn === juliet.conn && e.sm === 2 && e.xml.includes(">back<"), since);
    for (const reason of ["unbound-connection", "jid-mismatch", "malformed-stanza"]) expect(await refused(r2, reason)).toBe(0);
  });

  it("after a router failover, a closed naming the bare JID ends only the session bound to that very connection", async () => {
    h = await startHarness(db);
    // The gateway never heard the "bound" answer (its router died after binding): it still names the account.
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1", null);
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2", null);
    await h.addRouter("r2");
    await h.router.stop();
    h.via = "r2";
    h.reopen("gw1", juliet.conn);
    await sendAcked("gw1", { t: "closed", conn: juliet.conn, jid: "juliet@example.com", reason: "disconnected" });
    expect(await h.sessions.get("juliet@example.com")).toEqual([]);
    // gw1 cannot end romeo's session that way: it is not on gw1's connection.
    await sendAcked("gw1", { t: "closed", conn: romeo.conn, jid: "romeo@example.com", reason: "disconnected" });
    expect((await h.sessions.get("romeo@example.com")).map((s) => s.conn)).toEqual([romeo.conn]);
  });

  it("stops believing a connection whose session another connection took over, once its identity is rechecked", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    h = await startHarness(db);
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const old = await harnessClient(h, "juliet", "balcony", "gw1");
    // juliet logs in again with the same resource through gw2 (RFC 6120 §7.7.2.2): gw1 is told to close the old stream.
    const replacing = await harnessClient(h, "juliet", "balcony", "gw2");
    expect(h.received.some((e) => e.t === "close" && e.gw === "gw1" && e.conn === old.conn && e.condition === "conflict")).toBe(true);
    // gw1 ignores that and goes on as juliet: believed only until the identity is next checked.
    await old.send(chat(romeo.jid, "soon", old.jid));
    await romeo.next((m) => m.getChildText("body") === "soon");
    vi.setSystemTime(Date.now() + IDENTITY_RECHECK_MS);
    const since = h.received.length;
    await old.send(chat(romeo.jid, "stale", old.jid));
    expect(await refused(h.router, "unbound-connection")).toBe(1);
    expect(h.received.slice(since).some((e) => e.t === "close" && e.gw === "gw1" && e.conn === old.conn && e.condition === "reset")).toBe(true);
    await replacing.send(chat(romeo.jid, "fresh", replacing.jid));
    await romeo.next((m) => m.getChildText("body") === "fresh");
    expect(deliveries(since, (e) => e.xml.includes(">stale<"))).toEqual([]);
    expect((await h.sessions.get("juliet@example.com")).map((r) => r.gateway)).toEqual(["gw2"]);
  });
});
