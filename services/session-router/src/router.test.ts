import { createHmac } from "node:crypto";
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach, vi } from "vitest";

import { scramClient } from "@xmppd/sasl";
import { parseElement, type Element } from "@xmppd/xml";
import { IDENTITY_RECHECK_MS } from "./identity.ts";
import { PASSWORD, createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
let h: Harness;
let db: TestDb;

beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(async () => {
  await db.sql.close();
});
beforeEach(async () => {
  h = await startHarness(db);
});
afterEach(async () => {
  await h.close();
});

const el = (e: object) => parseElement("xml" in e ? String(e.xml) : "<none/>");
const condition = (e: Element) => (e.getChild("error")?.children as (Element | string)[] | undefined)?.find((c): c is Element => typeof c !== "string" && c.attrs.xmlns === STANZAS)?.name;

/** Binds `resource` for `user` on gw/conn and returns the full JID. */
async function bind(user: string, resource: string, gw = "gw1", conn = `c-${user}-${resource}`): Promise<string> {
  const since = h.received.length;
  await h.login(gw, conn, user);
  h.send(gw, { t: "stanza", conn, jid: `${user}@example.com`, xml: `<iq type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${resource}</resource></bind></iq>` });
  const bound = await h.next((e) => e.t === "bound" && e.conn === conn, since);
  return (bound as { jid: string }).jid;
}

async function online(user: string, resource: string, priority: number, gw = "gw1"): Promise<{ jid: string; conn: string }> {
  const conn = `c-${user}-${resource}`;
  const jid = await bind(user, resource, gw, conn);
  const seq = h.send(gw, { t: "stanza", conn, jid, xml: `<presence><priority>${priority}</priority></presence>` });
  await h.next((e) => e.t === "ack" && e.conn === conn && e.seq >= seq);
  return { jid, conn };
}

/** Sends a stanza as jid on conn and returns the index in received to look from. */
function say(conn: string, jid: string, xml: string, gw = "gw1"): number {
  const since = h.received.length;
  h.send(gw, { t: "stanza", conn, jid, xml });
  return since;
}

describe("SASL over the bus", () => {
  it("logs juliet in with SCRAM-SHA-256", async () => {
    const client = scramClient("SCRAM-SHA-256", "juliet", PASSWORD);
    h.send("gw1", { t: "open", conn: "c1", domain: "example.com", ip: "127.0.0.1", secure: true });
    h.send("gw1", { t: "sasl", conn: "c1", xml: `<auth xmlns="${SASL}" mechanism="SCRAM-SHA-256">${client.first().toString("base64")}</auth>` });
    const challenge = el(await h.next((e) => e.t === "sasl"));
    expect(challenge.is("challenge", SASL)).toBe(true);
    const since = h.received.length;
    const final = client.final(Buffer.from(challenge.getText(), "base64"));
    h.send("gw1", { t: "sasl", conn: "c1", xml: `<response xmlns="${SASL}">${final.toString("base64")}</response>` });
    const success = await h.next((e) => e.t === "sasl", since);
    expect(success).toMatchObject({ t: "sasl", conn: "c1", user: "juliet@example.com" });
    expect(el(success).is("success", SASL)).toBe(true);
    expect(client.verify(Buffer.from(el(success).getText(), "base64"))).toBe(true);
    expect(await h.router.registry.getSingleMetricAsString("xmpp_router_auth_total")).toContain('mechanism="SCRAM-SHA-256",result="success"} 1');
  });

  it("gives an unknown user a salt keyed by the cluster secret, the same on every router", async () => {
    const saltFor = async (harness: Harness, user: string) => {
      const since = harness.received.length;
      const client = scramClient("SCRAM-SHA-256", user, PASSWORD);
      harness.send("gw1", { t: "open", conn: `c-${user}`, domain: "example.com", ip: "127.0.0.1", secure: true });
      harness.send("gw1", { t: "sasl", conn: `c-${user}`, xml: `<auth xmlns="${SASL}" mechanism="SCRAM-SHA-256">${client.first().toString("base64")}</auth>` });
      const challenge = el(await harness.next((e) => e.t === "sasl", since));
      return /(?:^|,)s=([^,]+)/.exec(Buffer.from(challenge.getText(), "base64").toString())![1]!;
    };
    const other = await startHarness(db);
    try {
      const ghost = await saltFor(h, "ghost");
      expect(await saltFor(other, "ghost")).toBe(ghost);
      const key = await db.users.serverSecret("scram-fake-salt");
      const expected = createHmac("sha256", key).update("SCRAM-SHA-256\0ghost").digest().subarray(0, 16).toString("base64");
      expect(ghost).toBe(expected);
      expect(await saltFor(h, "phantom")).not.toBe(ghost);
    } finally {
      await other.close();
    }
  });

  it("fails a wrong password, an unoffered mechanism and an orphan continuation", async () => {
    const client = scramClient("SCRAM-SHA-256", "juliet", "wrong");
    h.send("gw1", { t: "sasl", conn: "c1", xml: `<auth xmlns="${SASL}" mechanism="SCRAM-SHA-256">${client.first().toString("base64")}</auth>` });
    const challenge = el(await h.next((e) => e.t === "sasl"));
    let since = h.received.length;
    h.send("gw1", { t: "sasl", conn: "c1", xml: `<response xmlns="${SASL}">${client.final(Buffer.from(challenge.getText(), "base64")).toString("base64")}</response>` });
    const failure = await h.next((e) => e.t === "sasl", since);
    expect(failure).toMatchObject({ failed: true });
    expect(el(failure).getChild("not-authorized")).toBeDefined();

    since = h.received.length;
    h.send("gw1", { t: "sasl", conn: "c2", xml: `<auth xmlns="${SASL}" mechanism="DIGEST-MD5">=</auth>` });
    expect(el(await h.next((e) => e.t === "sasl" && e.conn === "c2", since)).getChild("invalid-mechanism")).toBeDefined();

    since = h.received.length;
    h.send("gw1", { t: "sasl", conn: "c3", xml: `<response xmlns="${SASL}">abcd</response>` });
    expect(el(await h.next((e) => e.t === "sasl" && e.conn === "c3", since)).getChild("temporary-auth-failure")).toBeDefined();
  });
});

describe("resource binding", () => {
  it("binds a resource and replaces an older session on the same full JID with <conflict/>", async () => {
    const first = await bind("juliet", "balcony", "gw1", "old");
    expect(first).toBe("juliet@example.com/balcony");
    const since = h.received.length;
    const second = await bind("juliet", "balcony", "gw2", "new");
    expect(second).toBe(first);
    const close = await h.next((e) => e.t === "close", since);
    expect(close).toMatchObject({ gw: "gw1", conn: "old", condition: "conflict" });
    const bound = h.received.find((e) => e.t === "bound" && e.conn === "new")!;
    expect(el(bound).getChild("bind")?.getChildText("jid")).toBe(first);
    expect((await h.sessions.get("juliet@example.com")).map((s) => s.conn)).toEqual(["new"]);
  });

  it("refuses a resource beyond gateway.limits.resourcesPerAccount with <resource-constraint/> (RFC 6120 §7.6.2.1)", async () => {
    const limit = h.config.gateway.limits.resourcesPerAccount;
    for (let i = 0; i < limit; i++) await bind("romeo", `r${i}`);
    await h.login("gw1", "one-too-many", "romeo");
    const since = h.received.length;
    h.send("gw1", { t: "stanza", conn: "one-too-many", jid: "romeo@example.com", xml: `<iq type="set" id="b11"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>extra</resource></bind></iq>` });
    const reply = el(await h.next((e) => e.t === "deliver" && e.conn === "one-too-many", since));
    expect(reply.attrs).toMatchObject({ type: "error", id: "b11" });
    expect(reply.getChild("error")?.attrs.type).toBe("wait");
    expect(condition(reply)).toBe("resource-constraint");
    expect(await h.sessions.get("romeo@example.com")).toHaveLength(limit);
  });

  it("generates a resource when none is asked for", async () => {
    await h.login("gw1", "c9", "juliet");
    h.send("gw1", { t: "stanza", conn: "c9", jid: "juliet@example.com", xml: `<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>` });
    const bound = (await h.next((e) => e.t === "bound")) as { jid: string };
    expect(bound.jid).toMatch(/^juliet@example\.com\/[A-Za-z0-9_-]{16,}$/);
  });
});

describe("message routing", () => {
  it("forwards an addressed message on the gateway's bytes when the gateway sends its name, to and type", async () => {
    const juliet = await online("juliet", "balcony", 0);
    const romeo = await online("romeo", "orchard", 0);
    // Exactly what a gateway relays: serialized by it, from stamped, with the routing hints.
    // Single quotes: a parse and re-serialization would turn them into double quotes.
    const xml = `<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='f1' from='${romeo.jid}'><body>fast &amp; exact</body></message>`;
    let since = h.received.length;
    h.send("gw1", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml });
    const delivered = await h.next((e) => e.t === "deliver" && e.conn === juliet.conn, since);
    expect((delivered as { xml: string }).xml).toBe(xml);
    // Outcomes that need the element still get it: a normal message to a resource that is not there.
    since = h.received.length;
    const missing = `<message xmlns="jabber:client" to="juliet@example.com/nowhere" id="f2" from="${romeo.jid}"><body>?</body></message>`;
    h.send("gw1", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: missing });
    const error = el(await h.next((e) => e.t === "deliver" && e.conn === romeo.conn, since));
    expect(error.attrs).toMatchObject({ type: "error", id: "f2", from: "juliet@example.com", to: romeo.jid });
    expect(condition(error)).toBe("service-unavailable");
  });

  it("delivers a bare-JID message only to the resource with the highest priority", async () => {
    const high = await online("juliet", "balcony", 5);
    const low = await online("juliet", "garden", 1);
    const romeo = await online("romeo", "orchard", 0);
    const since = say(romeo.conn, romeo.jid, `<message to="juliet@example.com" type="chat" id="m1"><body>hi</body></message>`);
    const delivered = await h.next((e) => e.t === "deliver", since);
    expect(delivered.conn).toBe(high.conn);
    const m = el(delivered);
    expect(m.attrs).toMatchObject({ from: romeo.jid, to: "juliet@example.com", id: "m1" });
    await h.next((e) => e.t === "ack" && e.conn === romeo.conn, since);
    expect(h.received.slice(since).some((e) => e.t === "deliver" && e.conn === low.conn)).toBe(false);
  });

  it("puts a message for an offline user on the work queue before acknowledging it", async () => {
    const juliet = await online("juliet", "balcony", 0);
    const seq = h.send("gw1", { t: "stanza", conn: juliet.conn, jid: juliet.jid, xml: `<message to="romeo@example.com" id="m2"><body>where art thou</body></message>` });
    const ack = await h.next((e) => e.t === "ack" && e.conn === juliet.conn && e.seq === seq);
    // Stored (publish resolved) before the gateway heard the seq was handed off.
    expect(h.stored.slice(0, ack.storedBefore)).toContain(`gw1:${juliet.conn}:${seq}`);
    await expect.poll(() => h.work.find((w) => w.t === "message")).toBeDefined();
    const work = h.work.find((w) => w.t === "message");
    expect(work).toMatchObject({ t: "message", key: `gw1:${juliet.conn}:${seq}`, to: "romeo@example.com", from: juliet.jid });
    expect(el({ xml: work?.t === "message" ? work.xml : "" }).getChildText("body")).toBe("where art thou");
  });

  it("asks the AMP worker to flush stored messages on initial presence", async () => {
    const romeo = await online("romeo", "orchard", 0);
    expect(h.work).toContainEqual({ t: "flush", jid: romeo.jid, gw: "gw1", conn: romeo.conn });
  });

  it("does not ask for a flush while a worker's mark says nothing is stored for the account", async () => {
    await h.sessions.markNothingStored("romeo@example.com");
    const romeo = await online("romeo", "orchard", 0);
    await h.sessions.clearNothingStored(["romeo@example.com"]);
    const again = await online("romeo", "grove", 0);
    // romeo's presence was handled (acknowledged) before grove's: had it asked, its flush would come first.
    await expect.poll(() => h.work.filter((w) => w.t === "flush").map((w) => w.t === "flush" && w.jid)).toEqual([again.jid]);
    expect(romeo.jid).not.toBe(again.jid);
  });

  it("forwards XEP-0013 requests to the AMP worker, marks the session, and then does not flush at initial presence", async () => {
    const conn = "c-romeo-flex";
    const jid = await bind("romeo", "flex", "gw1", conn);
    const since = say(conn, jid, `<iq type="get" id="o1"><query xmlns="http://jabber.org/protocol/disco#items" node="http://jabber.org/protocol/offline"/></iq>`);
    await h.next((e) => e.t === "ack" && e.conn === conn, since);
    await expect.poll(() => h.work.filter((w) => w.t === "offline")).toEqual([{ t: "offline", jid, gw: "gw1", conn, xml: expect.stringContaining(`id="o1"`) }]);
    expect((await h.sessions.get("romeo@example.com")).find((s) => s.jid === jid)?.flexOffline).toBe(true);
    // Nothing answered by the router itself: the worker answers.
    expect(h.received.slice(since).some((e) => e.t === "deliver" && e.conn === conn)).toBe(false);
    const seq = h.send("gw1", { t: "stanza", conn, jid, xml: "<presence/>" });
    await h.next((e) => e.t === "ack" && e.conn === conn && e.seq >= seq);
    expect(h.work.filter((w) => w.t === "flush")).toEqual([]);
    // Another resource's initial presence brings no flood either (§2.2, last sentence).
    const other = await online("romeo", "second", 0);
    expect(h.work.filter((w) => w.t === "flush" && w.jid === other.jid)).toEqual([]);
  });

  it("answers forbidden to an XEP-0013 request for another account, without forwarding it", async () => {
    const juliet = await online("juliet", "balcony", 0);
    const since = say(juliet.conn, juliet.jid, `<iq type="set" id="o2" to="romeo@example.com"><offline xmlns="http://jabber.org/protocol/offline"><purge/></offline></iq>`);
    const reply = el(await h.next((e) => e.t === "deliver" && e.conn === juliet.conn, since));
    expect(reply.attrs).toMatchObject({ type: "error", id: "o2", from: "romeo@example.com" });
    expect(condition(reply)).toBe("forbidden");
    expect(h.work.filter((w) => w.t === "offline")).toEqual([]);
  });

  it("stamps the sender and answers a malformed or foreign address with an error", async () => {
    const romeo = await online("romeo", "orchard", 0);
    let since = say(romeo.conn, romeo.jid, `<message to="juliet@@example.com" id="x1" from="romeo@example.com"/>`);
    let reply = el(await h.next((e) => e.t === "deliver", since));
    expect(reply.attrs).toMatchObject({ type: "error", id: "x1", to: romeo.jid });
    expect(condition(reply)).toBe("jid-malformed");
    since = say(romeo.conn, romeo.jid, `<message to="someone@elsewhere.example" id="x2"/>`);
    reply = el(await h.next((e) => e.t === "deliver", since));
    expect(condition(reply)).toBe("remote-server-not-found");
  });

  it("rejects a priority outside -128..127 and unbinds a closed connection", async () => {
    const juliet = await online("juliet", "balcony", 0);
    const since = say(juliet.conn, juliet.jid, `<presence id="pr"><priority>300</priority></presence>`);
    const reply = el(await h.next((e) => e.t === "deliver", since));
    expect(reply.attrs).toMatchObject({ type: "error", id: "pr" });
    expect(condition(reply)).toBe("bad-request");
    const seq = h.send("gw1", { t: "closed", conn: juliet.conn, jid: juliet.jid, reason: "eof" });
    await h.next((e) => e.t === "ack" && e.conn === juliet.conn && e.seq === seq);
    expect(await h.sessions.get("juliet@example.com")).toEqual([]);
  });

  it("ignores a resent envelope and acknowledges it again", async () => {
    const juliet = await online("juliet", "balcony", 0);
    const romeo = await online("romeo", "orchard", 0);
    const since = h.received.length;
    const seq = h.send("gw1", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: `<message to="${juliet.jid}" id="d1"/>` });
    await h.next((e) => e.t === "ack" && e.conn === romeo.conn && e.seq === seq, since);
    const again = h.received.length;
    h.sendRaw({ t: "stanza", gw: "gw1", conn: romeo.conn, seq, jid: romeo.jid, xml: `<message to="${juliet.jid}" id="d1"/>` });
    await h.next((e) => e.t === "ack" && e.conn === romeo.conn && e.seq === seq, again);
    h.send("gw1", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: `<message to="${juliet.jid}" id="d2"/>` });
    await h.next((e) => e.t === "deliver" && el(e).attrs.id === "d2", since);
    expect(h.received.slice(since).filter((e) => e.t === "deliver" && el(e).attrs.id === "d1")).toHaveLength(1);
  });

  it("runs and acknowledges nothing past a gap, and asks the gateway to resend from the first one missing", async () => {
    const juliet = await online("juliet", "balcony", 0);
    const romeo = await online("romeo", "orchard", 0);
    const since = h.received.length;
    const msg = (id: string) => ({ t: "stanza" as const, conn: romeo.conn, jid: romeo.jid, xml: `<message to="${juliet.jid}" id="${id}"/>` });
    const before = h.send("gw1", msg("m1"));
    await h.next((e) => e.t === "ack" && e.conn === romeo.conn && e.seq === before, since);
    // m2 is lost on the way; m3 arrives.
    h.sendRaw({ ...msg("m3"), gw: "gw1", seq: before + 2 });
    const resend = await h.next((e) => e.t === "resend" && e.conn === romeo.conn, since);
    expect(resend).toMatchObject({ from: before + 1 });
    // The gateway resends its window in order: only now do m2 and m3 run and get acknowledged.
    h.sendRaw({ ...msg("m2"), gw: "gw1", seq: before + 1 });
    h.sendRaw({ ...msg("m3"), gw: "gw1", seq: before + 2 });
    await h.next((e) => e.t === "ack" && e.conn === romeo.conn && e.seq === before + 2, since);
    const acks = h.received.slice(since).filter((e) => e.t === "ack" && e.conn === romeo.conn).map((e) => (e as { seq: number }).seq);
    expect(acks.every((s) => s === before || s === before + 2)).toBe(true);
    const ids = h.received.slice(since).filter((e) => e.t === "deliver" && e.conn === juliet.conn).map((e) => el(e).attrs.id);
    expect(ids).toEqual(["m1", "m2", "m3"]);
  });

  it("asks for the whole window, open first, when an envelope comes for a connection it does not know", async () => {
    const since = h.received.length;
    h.sendRaw({ t: "stanza", gw: "gw1", conn: "unknown", seq: 7, jid: "romeo@example.com/x", xml: `<message to="juliet@example.com"/>` });
    expect(await h.next((e) => e.t === "resend" && e.conn === "unknown", since)).toMatchObject({ from: 0 });
  });
});

describe("work that fails", () => {
  it("is retried in place and not acknowledged while a dependency is away, holding the connection's later stanzas", async () => {
    const juliet = await online("juliet", "balcony", 0);
    const romeo = await online("romeo", "orchard", 0);
    const since = h.received.length;
    const lookup = h.sessions.lookup.bind(h.sessions);
    let failures = 0;
    h.sessions.lookup = async () => {
      failures += 1;
      throw new Error("Connection is closed.");
    };
    const first = h.send("gw1", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: `<message to="${juliet.jid}" id="r1"/>` });
    h.send("gw1", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: `<message to="${juliet.jid}" id="r2"/>` });
    await expect.poll(() => failures, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
    // Redis is back: both arrive, in order, and only now are they acknowledged.
    const during = h.received.slice(since);
    h.sessions.lookup = lookup;
    expect(during.filter((e) => e.conn === romeo.conn)).toEqual([]);
    await h.next((e) => e.t === "ack" && e.conn === romeo.conn && e.seq === first + 1, since);
    const ids = h.received.slice(since).filter((e) => e.t === "deliver" && e.conn === juliet.conn).map((e) => el(e).attrs.id);
    expect(ids).toEqual(["r1", "r2"]);
  });

  it("otherwise answers the sender with internal-server-error, counts it and acknowledges it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const juliet = await online("juliet", "balcony", 0);
      const romeo = await online("romeo", "orchard", 0);
      // The router rechecks romeo's identity in the session store, which fails for good.
      vi.setSystemTime(Date.now() + IDENTITY_RECHECK_MS + 1000);
      h.sessions.get = async () => {
        throw new TypeError("a bug");
      };
      const since = say(romeo.conn, romeo.jid, `<message to="${juliet.jid}" id="x1"><body>hi</body></message>`);
      const reply = el(await h.next((e) => e.t === "deliver" && e.conn === romeo.conn, since));
      expect(reply.attrs).toMatchObject({ type: "error", id: "x1", to: romeo.jid });
      expect(condition(reply)).toBe("internal-server-error");
      await h.next((e) => e.t === "ack" && e.conn === romeo.conn, since);
      expect(await h.router.registry.getSingleMetricAsString("xmpp_router_stanzas_routed_total")).toContain('kind="message",outcome="failed"} 1');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("gateway liveness", () => {
  it("removes the sessions of a gateway whose heartbeat lapsed, and only those", async () => {
    await online("juliet", "balcony", 0, "gw1");
    await online("romeo", "orchard", 0, "gw2");
    h.beating.delete("gw1");
    await expect.poll(() => h.sessions.get("juliet@example.com"), { timeout: 3000 }).toEqual([]);
    expect((await h.sessions.get("romeo@example.com")).map((s) => s.jid)).toEqual(["romeo@example.com/orchard"]);
  });

  it("declares no gateway dead for beacons lost while NATS itself was away", async () => {
    await online("juliet", "balcony", 0, "gw1");
    const { deadAfterMs } = h.config.heartbeat;
    h.outage.away();
    // Every beacon's TTL lapses meanwhile (heartbeat.deadAfterMs is 200 ms here).
    await new Promise((r) => setTimeout(r, deadAfterMs * 3));
    h.outage.back();
    await new Promise((r) => setTimeout(r, deadAfterMs * 3));
    expect((await h.sessions.get("juliet@example.com")).map((s) => s.jid)).toEqual(["juliet@example.com/balcony"]);
    // A gateway that stays silent once the bus is back is dead all the same.
    h.beating.delete("gw1");
    await expect.poll(() => h.sessions.get("juliet@example.com"), { timeout: 3000 }).toEqual([]);
  });
});

describe("acknowledgements", () => {
  it("acknowledges a gateway's connections in one AckBatch once its beacon says it reads them", async () => {
    h.batchAcks.add("gw1");
    // The next beacons carry the flag (heartbeat.intervalMs is 50 ms here).
    await new Promise((r) => setTimeout(r, 150));
    const since = h.received.length;
    const open = (gw: string, conn: string) => h.send(gw, { t: "open", conn, domain: "example.com", ip: "127.0.0.1", secure: true });
    const seqs = { x1: open("gw1", "x1"), x2: open("gw1", "x2") };
    const y1 = open("gw2", "y1");
    // gw2 said nothing: one "ack" per connection, as before.
    await h.next((e) => e.t === "ack" && e.gw === "gw2" && e.conn === "y1" && e.seq === y1, since);
    const batches = () => h.received.slice(since).filter((e) => e.gw === "gw1").map((e) => e as unknown as { t: string; acks: [string, number][] });
    await expect.poll(() => batches().flatMap((m) => m.acks ?? []).sort(), { timeout: 2000 }).toEqual([["x1", seqs.x1], ["x2", seqs.x2]]);
    expect(batches().map((m) => m.t)).toEqual(batches().map(() => "acks"));
  });
});

describe("server IQs", () => {
  let romeo: { jid: string; conn: string };
  beforeEach(async () => {
    romeo = await online("romeo", "orchard", 0);
  });
  const ask = async (xml: string) => el(await h.next((e) => e.t === "deliver", say(romeo.conn, romeo.jid, xml)));

  it("answers a ping to the server", async () => {
    const reply = await ask(`<iq type="get" id="p1" to="example.com"><ping xmlns="urn:xmpp:ping"/></iq>`);
    expect(reply.attrs).toEqual({ type: "result", id: "p1", from: "example.com", to: romeo.jid });
    expect(reply.children).toEqual([]);
  });

  it("lists exactly the loaded features in disco#info", async () => {
    const reply = await ask(`<iq type="get" id="d1" to="example.com"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
    const query = reply.getChild("query", "http://jabber.org/protocol/disco#info")!;
    expect(query.getChildren("identity").map((i: Element) => i.attrs)).toEqual([{ category: "server", type: "im" }]);
    expect(query.getChildren("feature").map((f: Element) => f.attrs.var)).toEqual([
      "http://jabber.org/protocol/amp",
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/disco#items",
      "http://jabber.org/protocol/offline",
      "jabber:iq:last",
      "jabber:iq:private",
      "jabber:iq:roster",
      "jabber:iq:version",
      "msgoffline",
      "urn:xmpp:blocking",
      "urn:xmpp:carbons:2",
      "urn:xmpp:ping",
      "urn:xmpp:time",
      "vcard-temp",
    ]);
  });

  it("answers service-unavailable to an unknown namespace, on the server and on an account", async () => {
    let reply = await ask(`<iq type="get" id="u1" to="example.com"><query xmlns="urn:example:nothing"/></iq>`);
    expect(reply.attrs).toMatchObject({ type: "error", id: "u1" });
    expect(condition(reply)).toBe("service-unavailable");
    reply = await ask(`<iq type="get" id="u2" to="juliet@example.com"><query xmlns="urn:example:nothing"/></iq>`);
    expect(reply.attrs).toMatchObject({ type: "error", id: "u2", from: "juliet@example.com" });
    expect(condition(reply)).toBe("service-unavailable");
  });

  it("never answers an error with an error", async () => {
    const since = say(romeo.conn, romeo.jid, `<iq type="error" id="e1" to="example.com"><error type="cancel"><bad-request xmlns="${STANZAS}"/></error></iq>`);
    say(romeo.conn, romeo.jid, `<message type="error" id="e2" to="juliet@example.com/nowhere"/>`);
    say(romeo.conn, romeo.jid, `<iq type="result" id="e3" to="juliet@example.com/nowhere"/>`);
    // Per-connection order: the ping's answer comes after anything the three could have caused.
    say(romeo.conn, romeo.jid, `<iq type="get" id="p2" to="example.com"><ping xmlns="urn:xmpp:ping"/></iq>`);
    await h.next((e) => e.t === "deliver" && el(e).attrs.id === "p2", since);
    expect(h.received.slice(since).filter((e) => e.t === "deliver").map((e) => el(e).attrs.id)).toEqual(["p2"]);
  });
});
