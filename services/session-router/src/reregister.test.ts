// Re-registration after the session store lost its data (reregister.ts, docs/redis-loss.md): the
// router writes back only the sessions it established itself on the gateway's connection, from
// what it remembers; everything else a gateway claims is refused and the stream reset.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SmHeld, ToGateway } from "@xmppd/bus";
import type { Router } from "./router.ts";
import { harnessClient, type HarnessClient } from "./test-client.ts";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

let h: Harness;
let db: TestDb;
beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
afterEach(() => h.close());

async function counted(router: Router, metric: string, label: string, value: string): Promise<number> {
  const m = router.registry.getSingleMetric(metric);
  return (await m!.get()).values.find((v) => v.labels[label] === value)?.value ?? 0;
}

/** Sends a re-registration as `gw` and waits for its ack; returns what the router sent meanwhile. */
async function rereg(gw: string, conn: string, jid: string, sm?: SmHeld) {
  const since = h.received.length;
  const seq = h.send(gw, { t: "rereg", conn, jid, epoch: "e2", ...(sm ? { sm } : {}) });
  await h.next((e) => e.t === "ack" && e.gw === gw && e.conn === conn && e.seq >= seq, since);
  return h.received.slice(since).filter((e) => e.conn === conn && e.t !== "ack");
}

/** The store lost the account's sessions (what an emptied Redis looks like to the router). */
async function lose(c: HarnessClient): Promise<void> {
  expect(await h.sessions.unbind(c.jid, c.conn)).not.toBeNull();
}

const chat = (to: string, body: string) => `<message xmlns='jabber:client' to='${to}' type='chat' id='${body}'><body>${body}</body></message>`;

describe("a re-registration the router accepts", () => {
  it("writes back the session it bound on that connection, with the presence it remembers", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony", "gw1", "<presence><priority>5</priority><status>here</status></presence>");
    const [before] = await h.sessions.get("juliet@example.com");
    await lose(juliet);
    expect(await rereg("gw1", juliet.conn, juliet.jid)).toEqual([]);
    const [after] = await h.sessions.get("juliet@example.com");
    expect({ ...after, boundAt: 0 }).toEqual({ ...before, boundAt: 0 });
    expect(after!.presence).toContain("<status>here</status>");
    expect(await counted(h.router, "xmpp_router_reregistrations_total", "outcome", "restored")).toBe(1);
    // Messages stored while the session was missing are flushed to it.
    expect(h.work.some((w) => w.t === "flush" && w.conn === juliet.conn)).toBe(true);
    // A second one finds it there.
    await rereg("gw1", juliet.conn, juliet.jid);
    expect(await counted(h.router, "xmpp_router_reregistrations_total", "outcome", "present")).toBe(1);
  });

  it("restores the XEP-0198 session as the gateway holds it; numbering goes on after it", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const since = h.received.length;
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "enable" });
    const enabled = await h.next((e) => e.t === "sm" && e.conn === juliet.conn, since);
    const id = enabled.t === "sm" && enabled.op === "enabled" ? enabled.id : "";
    for (const body of ["one", "two"]) await romeo.send(chat(juliet.jid, body));
    await h.next((e) => e.t === "deliver" && e.conn === juliet.conn && e.sm === 2, since);
    const two = h.received.find((e) => e.t === "deliver" && e.sm === 2)!;
    await lose(juliet);
    await h.sm.remove(id);
    const held = { id, handled: 3, acked: 1, items: [{ seq: 2, xml: (two as { xml: string }).xml }] };
    expect(await rereg("gw1", juliet.conn, juliet.jid, held)).toEqual([]);
    expect(await h.sm.unacked(id, 0)).toEqual(held.items);
    expect((await h.sessions.get("juliet@example.com"))[0]!.sm).toBe(id);
    await romeo.send(chat(juliet.jid, "three"));
    const three = await h.next((e) => e.t === "deliver" && e.conn === juliet.conn && e.sm !== undefined && e.xml.includes("three"), since);
    expect(three.t === "deliver" && three.sm).toBe(3);
  });

  it("restores the XEP-0198 session before the record that names it appears", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    const since = h.received.length;
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "enable" });
    const enabled = await h.next((e) => e.t === "sm" && e.conn === juliet.conn, since);
    const id = enabled.t === "sm" && enabled.op === "enabled" ? enabled.id : "";
    await lose(juliet);
    await h.sm.remove(id);
    // Whoever reads the record the moment it is written (an AMP worker delivering to juliet) must
    // find its XEP-0198 session: "gone" there made the worker bounce the message, and the bounce
    // was dropped when the sender was not re-registered yet either (chaos redis-restart: lost).
    const restore = h.sessions.restore.bind(h.sessions);
    let seen: "gone" | number | undefined;
    h.sessions.restore = async (rec) => {
      const written = await restore(rec);
      const r = await h.sm.append(id, chat(juliet.jid, "from-a-worker"), { maxStanzas: 10, maxBytes: 10_000 });
      seen = r.ok ? r.seq : "gone";
      return written;
    };
    const held = { id, handled: 1, acked: 0, items: [{ seq: 1, xml: chat(juliet.jid, "one") }] };
    expect(await rereg("gw1", juliet.conn, juliet.jid, held)).toEqual([]);
    expect(seen).toBe(2);
    expect((await h.sm.unacked(id, 0)).map((i) => i.seq)).toEqual([1, 2]);
  });

  it("keeps no XEP-0198 session for a connection whose resource another stream took meanwhile", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    const since = h.received.length;
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "enable" });
    const enabled = await h.next((e) => e.t === "sm" && e.conn === juliet.conn, since);
    const id = enabled.t === "sm" && enabled.op === "enabled" ? enabled.id : "";
    await lose(juliet);
    await h.sm.remove(id);
    await harnessClient(h, "juliet", "balcony", "gw2");
    const sent = await rereg("gw1", juliet.conn, juliet.jid, { id, handled: 0, acked: 0, items: [{ seq: 1, xml: chat(juliet.jid, "one") }] });
    expect(sent.flatMap((e) => (e.t === "close" ? [e.condition] : []))).toEqual(["reset"]);
    // As before the loss: the replaced stream's resumption finds nothing.
    expect(await h.sm.resume(id, "juliet@example.com", 0, { gateway: "gw1", conn: "c-other" })).toEqual({ ok: false, reason: "unknown" });
  });
});

describe("a re-registration the router refuses (the stream is reset)", () => {
  const resets = (sent: ToGateway[]) => sent.flatMap((e) => (e.t === "close" ? [e.condition] : []));

  it("naming another JID than the one bound on the connection", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    await harnessClient(h, "romeo", "orchard", "gw2");
    await h.sessions.unbind("romeo@example.com/orchard", "c-romeo-orchard");
    expect(resets(await rereg("gw1", juliet.conn, "romeo@example.com/orchard"))).toEqual(["reset"]);
    expect(await h.sessions.get("romeo@example.com")).toEqual([]);
    expect(await counted(h.router, "xmpp_router_refused_envelopes_total", "reason", "jid-mismatch")).toBe(1);
    expect(await counted(h.router, "xmpp_router_reregistrations_total", "outcome", "refused")).toBe(1);
  });

  it("on a connection this router established nobody on (a router failover, or another gateway's connection)", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    await lose(juliet);
    // gw2 names gw1's connection id: a connection of its own this router knows nothing of.
    expect(resets(await rereg("gw2", juliet.conn, juliet.jid))).toEqual(["reset"]);
    // Another router took gw1's connection over: it established nothing on it.
    await h.addRouter("r2");
    h.via = "r2";
    // The gateway replays the connection's "open" to the router taking it over (upstream.ts).
    h.reopen("gw1", juliet.conn);
    expect(resets(await rereg("gw1", juliet.conn, juliet.jid))).toEqual(["reset"]);
    expect(await h.sessions.get("juliet@example.com")).toEqual([]);
  });

  it("before a resource is bound (the identity is the bare JID)", async () => {
    h = await startHarness(db);
    await h.login("gw1", "c-bare", "juliet");
    expect(resets(await rereg("gw1", "c-bare", "juliet@example.com/x"))).toEqual(["reset"]);
    expect(await h.sessions.get("juliet@example.com")).toEqual([]);
  });

  it("when another stream bound the resource since", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    await lose(juliet);
    await harnessClient(h, "juliet", "balcony", "gw2");
    expect(resets(await rereg("gw1", juliet.conn, juliet.jid))).toEqual(["reset"]);
    expect((await h.sessions.get("juliet@example.com")).map((r) => r.gateway)).toEqual(["gw2"]);
  });

  it("naming another XEP-0198 session, or deliveries the session cannot hold", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    const since = h.received.length;
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "enable" });
    const enabled = await h.next((e) => e.t === "sm" && e.conn === juliet.conn, since);
    const id = enabled.t === "sm" && enabled.op === "enabled" ? enabled.id : "";
    await lose(juliet);
    await h.sm.remove(id);
    const ok = { seq: 1, xml: chat(juliet.jid, "x") };
    expect(resets(await rereg("gw1", juliet.conn, juliet.jid, { id: "someone-elses-session", handled: 0, acked: 0, items: [] }))).toEqual(["reset"]);
    expect(resets(await rereg("gw1", juliet.conn, juliet.jid, { id, handled: 0, acked: 0, items: [{ ...ok, seq: 2 }] }))).toEqual(["reset"]);
    expect(resets(await rereg("gw1", juliet.conn, juliet.jid, { id, handled: 0, acked: 0, items: [{ seq: 1, xml: "<a/><b/>" }] }))).toEqual(["reset"]);
    expect(await counted(h.router, "xmpp_router_refused_envelopes_total", "reason", "sm-mismatch")).toBe(2);
    expect(await counted(h.router, "xmpp_router_refused_envelopes_total", "reason", "malformed-stanza")).toBe(1);
    expect(await h.sm.unacked(id, 0)).toEqual([]);
    expect(await h.sessions.get("juliet@example.com")).toEqual([]);
  });
});
