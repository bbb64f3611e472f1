// XEP-0079 end to end: real @xmpp/client users on two gateways, a router and two AMP workers as
// separate processes on NATS, Redis and Postgres. Every conversation asserts the exact stanzas.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgClient, createRosterStore, type SqlClient } from "@xmppd/storage";
import { waitFor } from "@xmppd/testkit";
import { parseElement as parse, type Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml, type TestClient } from "./support/clients.ts";
import { canonical } from "./support/stanzas.ts";

const AMP = "http://jabber.org/protocol/amp";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const cluster = useCluster({ gateways: 2, routers: 1, ampWorkers: 2, env: { XMPPD__amp__expiryIntervalMs: "200", XMPPD__amp__ackWaitMs: "2000" } }, ["alice", "bob", "carol", "dave"]);
let sql: SqlClient;
let alice: TestClient;

beforeAll(async () => {
  sql = createPgClient({ url: cluster.topo.databaseUrl });
  const rosters = createRosterStore(sql);
  // bob and dave let alice see their presence (subscription from): DP-11 strict authorises her.
  for (const owner of ["bob@localhost", "dave@localhost"]) {
    await rosters.upsert(owner, { jid: "alice@localhost", name: null, subscription: "from", ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] });
  }
  alice = await cluster.login(0, "alice", { resource: "phone" });
});
afterAll(() => sql?.close());

const ALICE = "alice@localhost/phone";
const rule = (condition: string, action: string, value: string) => `<rule condition="${condition}" action="${action}" value="${value}"/>`;
const ampMessage = (to: string, id: string | undefined, rules: string, attrs = "", type = "chat") =>
  `<message to="${to}" type="${type}"${id === undefined ? "" : ` id="${id}"`}><body>hello ${id ?? ""}</body><amp xmlns="${AMP}"${attrs}>${rules}</amp></message>`;
const send = (c: TestClient, text: string) => c.send(parse(text));
const event = (id: string, status: string, to: string, r: string, from = "localhost") =>
  canonical(`<message from="${from}" to="${ALICE}" id="${id}"><amp xmlns="${AMP}" status="${status}" from="${ALICE}" to="${to}">${r}</amp></message>`);
const withId = (id: string) => (el: Element) => el.name === "message" && el.attrs.id === id;
/**
 * Ends a session of bob or dave (alice sees their presence) and waits until alice hears it has
 * gone: until the router has processed the close, a message to the account could still be handed
 * to the closing stream.
 */
async function offline(c: TestClient): Promise<void> {
  const from = alice.inbox.length;
  await c.stop();
  await waitFor(() => alice.inbox.slice(from).some((el) => el.name === "presence" && el.attrs.from === c.jid && el.attrs.type === "unavailable"), { what: `${c.jid} offline` });
}
const ampReplies = (id: string) => (el: Element) => withId(id)(el) && (el.getChild("amp", AMP) !== undefined || el.attrs.type === "error");

describe("discovery and the stream feature (DP-13, DP-14)", () => {
  it("lists AMP at the root and every action and condition at the AMP node, item-not-found elsewhere", async () => {
    const root = await alice.iq(xml("iq", { type: "get", to: "localhost", id: "d1" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    expect(root.getChild("query")!.getChildren("feature").map((f) => f.attrs.var)).toContain(AMP);
    const node = await alice.iq(xml("iq", { type: "get", to: "localhost", id: "d2" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: AMP })));
    const features = ["", "?action=alert", "?action=drop", "?action=error", "?action=notify", "?condition=deliver", "?condition=expire-at", "?condition=match-resource"];
    expect(canonical(node.getChild("query")!)).toBe(
      canonical(`<query xmlns="http://jabber.org/protocol/disco#info" node="${AMP}"><identity category="server" type="im"/>${features.map((f) => `<feature var="${AMP}${f}"/>`).join("")}</query>`),
    );
    await expect(alice.iq(xml("iq", { type: "get", to: "localhost", id: "d3" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: `${AMP}?action=drop` })))).rejects.toThrow(/item-not-found/);
  });

  it("announces <amp xmlns='http://jabber.org/features/amp'/> after authentication", () => {
    const features = alice.nonzas.filter((el) => el.name === "stream:features");
    expect(features.at(-1)!.getChild("amp", "http://jabber.org/features/amp")).toBeDefined();
  });
});

describe("validation at the sender's edge (DP-03, DP-12, DP-16)", () => {
  it("reports every unsupported condition in one error, before unsupported actions and invalid rules", async () => {
    const rules = rule("deliver", "alert", "bogus") + rule("weather", "drop", "rain") + rule("deliver", "explode", "direct") + rule("mood", "notify", "sad");
    await send(alice, ampMessage("bob@localhost", "v1", rules));
    const reply = await alice.next(withId("v1"));
    expect(canonical(reply)).toBe(canonical(
      `<message from="localhost" to="${ALICE}" id="v1" type="error"><amp xmlns="${AMP}" from="${ALICE}" to="bob@localhost">${rules}</amp>` +
        `<error type="modify"><bad-request xmlns="${STANZAS}"/><unsupported-conditions xmlns="${AMP}">${rule("weather", "drop", "rain")}${rule("mood", "notify", "sad")}</unsupported-conditions></error></message>`,
    ));
  });

  it("reports unsupported actions, then invalid rules (bad values, missing attributes, a zone other than UTC)", async () => {
    const invalid = rule("deliver", "alert", "bogus") + `<rule condition="deliver" action="drop"/>` + rule("expire-at", "drop", "2030-01-01T00:00:00+02:00");
    await send(alice, ampMessage("bob@localhost", "v2", rule("deliver", "explode", "direct") + invalid));
    expect((await alice.next(withId("v2"))).getChild("error")!.toString()).toContain(`<unsupported-actions xmlns="${AMP}">${rule("deliver", "explode", "direct")}</unsupported-actions>`);
    await send(alice, ampMessage("bob@localhost", "v3", invalid));
    const reply = await alice.next(withId("v3"));
    expect(canonical(reply.getChild("error")!)).toBe(canonical(`<error type="modify"><not-acceptable xmlns="${STANZAS}"/><invalid-rules xmlns="${AMP}">${invalid}</invalid-rules></error>`));
  });

  it("answers bad-request without an AMP container for a missing id, no rules, a bad per-hop or a status", async () => {
    const cases: [string, string][] = [
      ["", ampMessage("bob@localhost", undefined, rule("deliver", "drop", "none"))],
      ["v5", ampMessage("bob@localhost", "v5", "")],
      ["v6", ampMessage("bob@localhost", "v6", rule("deliver", "drop", "none"), ` per-hop="yes"`)],
      ["v7", ampMessage("bob@localhost", "v7", rule("deliver", "drop", "none"), ` status="alert"`)],
    ];
    for (const [id, text] of cases) {
      await send(alice, text);
      const reply = await alice.next((el) => el.attrs.type === "error" && (id === "" ? el.attrs.id === undefined : el.attrs.id === id));
      expect(canonical(reply.getChild("error")!)).toBe(canonical(`<error type="modify"><bad-request xmlns="${STANZAS}"/></error>`));
    }
  });

  it("never processes an error message (DP-15)", async () => {
    const bob = await cluster.login(1, "bob", { resource: "err" });
    await send(alice, ampMessage("bob@localhost/err", "v8", rule("weather", "drop", "rain"), "", "error"));
    const got = await bob.next(withId("v8"));
    expect(got.attrs.type).toBe("error");
    expect(alice.inbox.filter(withId("v8"))).toEqual([]);
    await bob.stop();
  });
});

describe("rules at the recipient's edge (DP-07, DP-09)", () => {
  it("delivers without <amp/> and notifies deliver=direct after the hand-off", async () => {
    const bob = await cluster.login(1, "bob", { resource: "desk" });
    await send(alice, ampMessage("bob@localhost", "r1", rule("deliver", "notify", "direct")));
    const got = await bob.next(withId("r1"));
    expect(canonical(got)).toBe(canonical(`<message from="${ALICE}" to="bob@localhost" type="chat" id="r1"><body>hello r1</body></message>`));
    expect(canonical(await alice.next(ampReplies("r1")))).toBe(event("r1", "notify", "bob@localhost", rule("deliver", "notify", "direct")));
    await bob.stop();
  });

  it("applies match-resource to the resource that receives, with several resources and priorities", async () => {
    const desk = await cluster.login(1, "bob", { resource: "desk", presence: false });
    await desk.send(xml("presence", {}, xml("priority", {}, "1")));
    const phone = await cluster.login(0, "bob", { resource: "phone", presence: false });
    await phone.send(xml("presence", {}, xml("priority", {}, "5")));
    await new Promise((r) => setTimeout(r, 300));
    // To the bare JID: the phone (highest priority) receives it; exact is not met, other is.
    await send(alice, ampMessage("bob@localhost", "m1", rule("match-resource", "alert", "exact") + rule("match-resource", "notify", "other")));
    await phone.next(withId("m1"));
    expect(canonical(await alice.next(ampReplies("m1")))).toBe(event("m1", "notify", "bob@localhost", rule("match-resource", "notify", "other")));
    // To the desk, which is available: exact is met, and only the desk receives it.
    await send(alice, ampMessage("bob@localhost/desk", "m2", rule("match-resource", "alert", "other") + rule("match-resource", "notify", "exact")));
    await desk.next(withId("m2"));
    expect(canonical(await alice.next(ampReplies("m2")))).toBe(event("m2", "notify", "bob@localhost/desk", rule("match-resource", "notify", "exact")));
    // To a resource that is gone, a chat goes to the phone: other is met and the error action discards it.
    await send(alice, ampMessage("bob@localhost/gone", "m3", rule("match-resource", "error", "other")));
    const err = await alice.next(ampReplies("m3"));
    expect(canonical(err)).toBe(canonical(
      `<message from="localhost" to="${ALICE}" id="m3" type="error"><amp xmlns="${AMP}" status="error" from="${ALICE}" to="bob@localhost/gone">${rule("match-resource", "error", "other")}</amp>` +
        `<error type="modify"><undefined-condition xmlns="${STANZAS}"/><failed-rules xmlns="${AMP}#errors">${rule("match-resource", "error", "other")}</failed-rules></error></message>`,
    ));
    await new Promise((r) => setTimeout(r, 300));
    expect([...desk.inbox, ...phone.inbox].filter(withId("m3"))).toEqual([]);
    await offline(desk);
    await offline(phone);
  });

  it("refuses alert/error/notify from a sender the recipient does not share presence with (strict), and processes drop", async () => {
    const carol = await cluster.login(1, "carol", { resource: "pad" });
    const rules = rule("deliver", "alert", "stored") + rule("deliver", "drop", "direct");
    await send(carol, ampMessage("bob@localhost", "s1", rules));
    const reply = await carol.next(withId("s1"));
    expect(canonical(reply)).toBe(canonical(
      `<message from="localhost" to="carol@localhost/pad" id="s1" type="error"><amp xmlns="${AMP}" from="carol@localhost/pad" to="bob@localhost">${rules}</amp>` +
        `<error type="modify"><not-acceptable xmlns="${STANZAS}"/><invalid-rules xmlns="${AMP}">${rule("deliver", "alert", "stored")}</invalid-rules></error></message>`,
    ));
    // Only drop: processed as usual, and silent (bob is offline, so the message is stored).
    await send(carol, ampMessage("bob@localhost", "s2", rule("deliver", "drop", "direct")));
    await waitFor(async () => (await storedIds("bob@localhost")).includes("s2"), { what: "s2 stored for bob" });
    expect(carol.inbox.filter(withId("s2"))).toEqual([]);
    await carol.stop();
  });
});

describe("stored messages and expire-at (DP-02, DP-20, DP-21)", () => {
  it("fires an expire-at alert once, with two workers racing, about a second after its time; the recipient never sees it", async () => {
    const at = new Date(Date.now() + 2000);
    const r = rule("expire-at", "alert", at.toISOString());
    await send(alice, ampMessage("dave@localhost", "e1", rule("deliver", "notify", "stored") + r));
    expect(canonical(await alice.next(ampReplies("e1")))).toBe(event("e1", "notify", "dave@localhost", rule("deliver", "notify", "stored")));
    const row = await storedRow("dave@localhost", "e1");
    expect(row.expires_at.toISOString()).toBe(at.toISOString());
    expect(row.stanza).not.toContain("<amp");
    const [notify, alert] = await alice.collect(ampReplies("e1"), 2, 8000);
    expect(notify).toBeDefined();
    expect(canonical(alert!)).toBe(event("e1", "alert", "dave@localhost", r));
    expect(Date.now() - at.getTime()).toBeLessThan(3000);
    await new Promise((res) => setTimeout(res, 800));
    expect(alice.inbox.filter(ampReplies("e1"))).toHaveLength(2);
    const dave = await cluster.login(1, "dave", { resource: "home" });
    await new Promise((res) => setTimeout(res, 500));
    expect(dave.inbox.filter(withId("e1"))).toEqual([]);
    await offline(dave);
  });

  it("delivers a message whose expire-at is still ahead at login, with <delay/> and without <amp/>", async () => {
    const at = new Date(Date.now() + 60_000).toISOString();
    await send(alice, ampMessage("dave@localhost", "e2", rule("expire-at", "drop", at)));
    await waitFor(async () => (await storedIds("dave@localhost")).includes("e2"), { what: "e2 stored" });
    const dave = await cluster.login(0, "dave", { resource: "home" });
    const got = await dave.next(withId("e2"));
    expect(got.getChild("amp", AMP)).toBeUndefined();
    expect(got.getChild("delay", "urn:xmpp:delay")?.attrs.from).toBe("localhost");
    expect(got.getChildText("body")).toBe("hello e2");
    await dave.stop();
  });

  it("meets an expire-at in the past at once: the error action answers and nothing is stored", async () => {
    const r = rule("expire-at", "error", "2001-01-01T00:00:00Z");
    await send(alice, ampMessage("dave@localhost", "e3", r));
    const reply = await alice.next(ampReplies("e3"));
    expect(reply.attrs.type).toBe("error");
    expect(reply.getChild("error")!.getChild("failed-rules", `${AMP}#errors`)).toBeDefined();
    expect(await storedIds("dave@localhost")).not.toContain("e3");
  });

  it("survives a worker killed with SIGKILL while its timers are pending: the other fires each once", async () => {
    const at = new Date(Date.now() + 2500);
    const r = rule("expire-at", "alert", at.toISOString());
    await send(alice, ampMessage("dave@localhost", "k1", r));
    await waitFor(async () => (await storedIds("dave@localhost")).includes("k1"), { what: "k1 stored" });
    const [victim] = cluster.topo.of("amp");
    await cluster.topo.kill(victim!, "SIGKILL");
    await replacingWorker(async () => {
      expect(canonical(await alice.next(ampReplies("k1"), 8000))).toBe(event("k1", "alert", "dave@localhost", r));
      await new Promise((res) => setTimeout(res, 800));
      expect(alice.inbox.filter(ampReplies("k1"))).toHaveLength(1);
    });
  });
});

describe("order and operations", () => {
  it("keeps one connection's AMP messages in order with two workers (invariant 2)", async () => {
    const bob = await cluster.login(1, "bob", { resource: "order" });
    for (let i = 0; i < 40; i++) await send(alice, ampMessage("bob@localhost/order", `o${i}`, rule("deliver", "drop", "none")));
    const got = await bob.collect((el) => el.name === "message" && String(el.attrs.id).startsWith("o"), 40, 15_000);
    expect(got.map((el) => el.attrs.id)).toEqual([...Array(40).keys()].map((i) => `o${i}`));
    await bob.stop();
  });

  it("loses no message and sends no event twice when a worker is killed with SIGKILL mid-backlog", async () => {
    const bob = await cluster.login(1, "bob", { resource: "kill" });
    const n = 600;
    // Only the test's own messages: the gateway's keepalive pings have random ids.
    const ours = (el: Element) => el.name === "message" && /^w\d+$/.test(String(el.attrs.id));
    const isNotify = (el: Element) => ours(el) && el.getChild("amp", AMP)?.attrs.status === "notify";
    const before = alice.inbox.length;
    for (let i = 0; i < n; i++) await send(alice, ampMessage("bob@localhost/kill", `w${i}`, rule("deliver", "notify", "direct")));
    await waitFor(() => alice.inbox.slice(before).filter(isNotify).length >= 50, { what: "the first notifications", timeoutMs: 10_000 });
    const [victim] = cluster.topo.of("amp");
    await cluster.topo.kill(victim!, "SIGKILL");
    await replacingWorker(async () => {
      await waitFor(() => new Set(bob.inbox.filter(ours).map((el) => el.attrs.id)).size >= n, { what: "every message delivered", timeoutMs: 30_000 });
      await waitFor(() => alice.inbox.slice(before).filter(isNotify).length >= n, { what: "a notification per message", timeoutMs: 30_000 });
      // Past the outbox claim (5 s) and a relay round: an event the victim sent but had not marked sent is sent again, and must not show.
      await new Promise((r) => setTimeout(r, 7000));
      const notified = alice.inbox.slice(before).filter(isNotify).map((el) => el.attrs.id);
      expect(notified).toHaveLength(n);
      expect(new Set(notified).size).toBe(n);
    });
    await bob.stop();
  });

  it("a worker stopped with SIGTERM mid-backlog finishes its in-flight work and exits 0; nothing is lost or sent twice", async () => {
    const bob = await cluster.login(1, "bob", { resource: "term" });
    const n = 600;
    // Only the test's own messages: the gateway's keepalive pings have random ids (one began with "t").
    const ours = (el: Element) => el.name === "message" && /^t\d+$/.test(String(el.attrs.id));
    const isNotify = (el: Element) => ours(el) && el.getChild("amp", AMP)?.attrs.status === "notify";
    const before = alice.inbox.length;
    for (let i = 0; i < n; i++) await send(alice, ampMessage("bob@localhost/term", `t${i}`, rule("deliver", "notify", "direct")));
    await waitFor(() => alice.inbox.slice(before).filter(isNotify).length >= 50, { what: "the first notifications", timeoutMs: 10_000 });
    const [victim] = cluster.topo.of("amp");
    const started = Date.now();
    await cluster.topo.kill(victim!, "SIGTERM");
    await replacingWorker(async () => {
      expect(await victim!.exited).toBe(0);
      // Well inside amp.ackWaitMs (2 s here): the worker did not leave work for the ack timeout.
      expect(Date.now() - started).toBeLessThan(5000);
      expect(cluster.topo.logs(victim!)).toContain("draining");
      await waitFor(() => new Set(bob.inbox.filter(ours).map((el) => el.attrs.id)).size >= n, { what: "every message delivered", timeoutMs: 30_000 });
      await waitFor(() => alice.inbox.slice(before).filter(isNotify).length >= n, { what: "a notification per message", timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 2500));
      const notified = alice.inbox.slice(before).filter(isNotify).map((el) => el.attrs.id);
      expect(new Set(notified).size).toBe(n);
      expect(notified).toHaveLength(n);
      expect(bob.inbox.filter(ours).map((el) => el.attrs.id)).toEqual([...Array(n).keys()].map((i) => `t${i}`));
    });
    await bob.stop();
  });

  it("counts rules by condition, value, action and outcome, and events, in the workers' metrics", async () => {
    const bob = await cluster.login(1, "bob", { resource: "metrics" });
    const carol = await cluster.login(0, "carol", { resource: "metrics" });
    await send(alice, ampMessage("bob@localhost/metrics", "x1", rule("deliver", "notify", "direct")));
    await send(carol, ampMessage("bob@localhost", "x2", rule("deliver", "alert", "stored")));
    await send(alice, ampMessage("bob@localhost", "x3", rule("weather", "drop", "rain")));
    await alice.next(ampReplies("x1"));
    await carol.next(withId("x2"));
    await alice.next(withId("x3"));
    await bob.stop();
    await carol.stop();
    const texts = await Promise.all(cluster.topo.of("amp").map(async (p) => (await fetch(`http://127.0.0.1:${p.opsPort}/metrics`)).text()));
    const all = texts.join("\n");
    expect(all).toMatch(/xmpp_amp_rules_total\{condition="deliver",value="direct",action="notify",outcome="fired"\} [1-9]/);
    expect(all).toMatch(/xmpp_amp_rules_total\{condition="deliver",value="stored",action="alert",outcome="refused"\} [1-9]/);
    expect(all).toMatch(/xmpp_amp_events_total\{event="notify"\} [1-9]/);
    expect(all).toContain("xmpp_amp_expiry_lag_seconds_bucket");
    expect(all).toContain("xmpp_amp_timers_pending");
    const router = await (await fetch(`http://127.0.0.1:${cluster.topo.of("router")[0]!.opsPort}/metrics`)).text();
    expect(router).toMatch(/xmpp_router_amp_rejected_total\{category="unsupported-conditions"\} [1-9]/);
  });
});

describe("the chat still works", () => {
  it("a plain message between the gateways is untouched by AMP", async () => {
    const bob = await cluster.login(1, "bob", { resource: "plain" });
    await alice.send(xml("message", { to: "bob@localhost/plain", type: "chat", id: "p1" }, xml("body", {}, "plain")));
    expect((await bob.next(isChat("alice@localhost"))).getChildText("body")).toBe("plain");
    await bob.stop();
  });

  it("copies an AMP message to carbons-enabled resources (XEP-0280): received without <amp/>, sent as sent; the event is not copied", async () => {
    const C = "urn:xmpp:carbons:2";
    const tablet = await cluster.login(1, "alice", { resource: "tablet" });
    const desk = await cluster.login(0, "bob", { resource: "desk" });
    const mobile = await cluster.login(1, "bob", { resource: "mobile" });
    for (const c of [tablet, desk, mobile]) await c.iq(xml("iq", { type: "set" }, xml("enable", { xmlns: C })));
    const r = rule("deliver", "notify", "direct");
    await send(alice, ampMessage("bob@localhost/desk", "cc1", r));
    const original = `<message xmlns="jabber:client" from="${ALICE}" to="bob@localhost/desk" type="chat" id="cc1"><body>hello cc1</body>`;
    expect(canonical(await desk.next(withId("cc1")))).toBe(canonical(`${original}</message>`));
    expect(canonical(await mobile.next((el) => el.getChild("received", C) !== undefined))).toBe(canonical(
      `<message from="bob@localhost" to="bob@localhost/mobile" type="chat"><received xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">${original}</message></forwarded></received></message>`));
    expect(canonical(await tablet.next((el) => el.getChild("sent", C) !== undefined))).toBe(canonical(
      `<message from="alice@localhost" to="alice@localhost/tablet" type="chat"><sent xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">${original}<amp xmlns="${AMP}">${r}</amp></message></forwarded></sent></message>`));
    expect(canonical(await alice.next(ampReplies("cc1")))).toBe(event("cc1", "notify", "bob@localhost/desk", r));
    await new Promise((res) => setTimeout(res, 300));
    expect(tablet.inbox.filter((el) => el.attrs.id === "cc1")).toEqual([]);
    expect(mobile.inbox.filter((el) => el.getChild("received", C)).length + desk.inbox.filter(withId("cc1")).length).toBe(2);
    expect(desk.inbox.some((el) => el.getChild("received", C) || el.getChild("sent", C))).toBe(false);
    await Promise.all([tablet.stop(), desk.stop(), mobile.stop()]);
  });
});

/** Runs the checks after a worker was stopped, then starts a replacement even if they fail, so later tests keep two workers. */
async function replacingWorker(checks: () => Promise<void>): Promise<void> {
  try {
    await checks();
  } finally {
    await cluster.topo.start("amp");
  }
}

async function storedIds(owner: string): Promise<string[]> {
  const res = await sql.query<{ stanza: string }>(`SELECT stanza FROM amp.offline_messages WHERE owner = $1`, [owner]).catch(() => ({ rows: [] }));
  return res.rows.map((r) => /id="([^"]*)"/.exec(r.stanza)?.[1] ?? "");
}

async function storedRow(owner: string, id: string): Promise<{ stanza: string; expires_at: Date }> {
  const res = await sql.query<{ stanza: string; expires_at: Date }>(`SELECT stanza, expires_at FROM amp.offline_messages WHERE owner = $1`, [owner]);
  const row = res.rows.find((r) => r.stanza.includes(`id="${id}"`));
  if (!row) throw new Error(`no stored row ${id} for ${owner}`);
  return row;
}
