// XEP-0079 in the worker, against PGlite and the in-process bus: E1 at receipt, security levels,
// stored messages with expiry timers (E3), flush (E2), events through the outbox (DP-22).
import { afterEach, describe, expect, it } from "vitest";
import type { AmpWork, ToGateway } from "@xmppd/bus";
import { createAmpStore, createRosterStore } from "@xmppd/storage";
import { waitFor } from "@xmppd/testkit";
import { createHarness, type Harness, type HarnessOptions } from "../test-harness.ts";

const AMP = "http://jabber.org/protocol/amp";
const ALICE = "alice@localhost/phone";
let h: Harness;
afterEach(async () => h?.close());

let seq = 0;
function ampWork(to: string, rules: string, opts: { type?: string; id?: string } = {}): Extract<AmpWork, { t: "message" }> {
  seq += 1;
  const id = opts.id ?? `a${seq}`;
  const xml = `<message xmlns="jabber:client" from="${ALICE}" to="${to}" type="${opts.type ?? "chat"}" id="${id}"><body>hi</body><amp xmlns="${AMP}">${rules}</amp></message>`;
  return { t: "message", key: `gw1:c1:${seq}`, order: String(seq).padStart(12, "0"), to, from: ALICE, xml, acceptedAt: Date.now(), amp: true };
}

const rule = (condition: string, action: string, value: string) => `<rule condition="${condition}" action="${action}" value="${value}"/>`;
const event = (id: string, status: string, to: string, r: string) =>
  `<message from="localhost" to="${ALICE}" id="${id}"><amp xmlns="${AMP}" status="${status}" from="${ALICE}" to="${to}">${r}</amp></message>`;
const xmls = (inbox: ToGateway[]) => inbox.map((e) => (e.t === "deliver" ? e.xml : JSON.stringify(e)));

async function setup(opts: HarnessOptions & { subscribed?: boolean } = {}): Promise<void> {
  h = await createHarness(opts);
  await h.addUser("alice");
  await h.addUser("bob");
  await h.bindSession(ALICE, "gwa", "ca");
  if (opts.subscribed !== false) {
    // bob lets alice see his presence: DP-11 strict authorises her.
    await createRosterStore(h.sql).upsert("bob@localhost", { jid: "alice@localhost", name: null, subscription: "from", ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] });
  }
}

/** The exact notify from the server (status='notify', the rule met), then the bounce from the recipient. */
function expectNotifyThenBounce(id: string, to: string): void {
  const [first, second] = xmls(h.inbox("gwa"));
  expect(first).toBe(event(id, "notify", to, rule("deliver", "notify", "none")));
  expect(second).toContain(`<message xmlns="jabber:client" to="${ALICE}" from="${to}" type="error" id="${id}">`);
  expect(second).toContain(`<service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`);
  expect(second).not.toContain("<amp");
}

const settled = () => waitFor(async () => (await h.queue.pending()) === 0, { what: "work queue drained" });

describe("AMP worker: E1 at receipt", () => {
  it("delivers to the online recipient without <amp/>, then notifies deliver=direct", async () => {
    await setup();
    await h.bindSession("bob@localhost/desk", "gwb", "cb");
    h.inbox("gwb");
    const w = ampWork("bob@localhost", rule("deliver", "notify", "direct"), { id: "n1" });
    await h.send(w);
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the notify" });
    expect(xmls(h.inbox("gwb"))).toEqual([`<message xmlns="jabber:client" from="${ALICE}" to="bob@localhost" type="chat" id="n1"><body>hi</body></message>`]);
    expect(xmls(h.inbox("gwa"))).toEqual([event("n1", "notify", "bob@localhost", rule("deliver", "notify", "direct"))]);
  });

  it("sends no 'delivered' notify for a message no resource took (its XEP-0198 queue at the bound): the sender gets the bounce", async () => {
    await setup();
    await h.bindResumable("bob@localhost/desk", "gwb", "cb", "sm-bob-full");
    const limits = { maxStanzas: h.config.gateway.limits.outboundStanzas, maxBytes: h.config.gateway.limits.outboundBytes };
    expect((await h.sm.append("sm-bob-full", `<message>${"x".repeat(limits.maxBytes - 32)}</message>`, limits)).ok).toBe(true);
    h.inbox("gwa");
    h.inbox("gwb");
    await h.send(ampWork("bob@localhost", rule("deliver", "notify", "direct"), { id: "f1" }));
    await settled();
    await waitFor(() => h.inbox("gwa").length > 0, { what: "the bounce" });
    const toAlice = xmls(h.inbox("gwa"));
    expect(toAlice).toHaveLength(1);
    expect(toAlice[0]).toContain('<error type="wait"><resource-constraint');
    expect(toAlice[0]).not.toContain('status="notify"');
  });

  it("stores a notify for the sender whose own XEP-0198 queue is at its bound, rather than losing it", async () => {
    await setup();
    await h.bindSession("bob@localhost/desk", "gwb", "cb");
    await h.bindResumable(ALICE, "gwa", "ca", "sm-alice-full");
    const limits = { maxStanzas: h.config.gateway.limits.outboundStanzas, maxBytes: h.config.gateway.limits.outboundBytes };
    expect((await h.sm.append("sm-alice-full", `<message>${"x".repeat(limits.maxBytes - 32)}</message>`, limits)).ok).toBe(true);
    h.inbox("gwb");
    await h.send(ampWork("bob@localhost", rule("deliver", "notify", "direct"), { id: "q1" }));
    await settled();
    await waitFor(async () => (await h.offline.count("alice@localhost")) === 1, { what: "the notify stored for alice" });
    expect((await h.offline.list("alice@localhost"))[0]!.stanza).toContain('status="notify"');
    expect(xmls(h.inbox("gwb"))).toHaveLength(1);
  });

  it("alerts deliver=stored for an offline recipient and stores nothing (alert behaves as drop)", async () => {
    await setup();
    await h.send(ampWork("bob@localhost", rule("deliver", "alert", "stored"), { id: "s1" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the alert" });
    expect(xmls(h.inbox("gwa"))).toEqual([event("s1", "alert", "bob@localhost", rule("deliver", "alert", "stored"))]);
    expect(await h.offline.count("bob@localhost")).toBe(0);
  });

  it("answers the error action with type=error, undefined-condition and failed-rules in amp#errors", async () => {
    await setup();
    // A chat to a resource that is gone would reach bob's other resource: match-resource other.
    await h.bindSession("bob@localhost/desk", "gwb", "cb");
    h.inbox("gwb");
    const rules = rule("match-resource", "error", "exact") + rule("match-resource", "error", "other");
    await h.send(ampWork("bob@localhost/gone", rules, { id: "e1", type: "chat" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the error" });
    expect(xmls(h.inbox("gwa"))).toEqual([
      `<message from="localhost" to="${ALICE}" id="e1" type="error"><amp xmlns="${AMP}" status="error" from="${ALICE}" to="bob@localhost/gone">${rule("match-resource", "error", "other")}</amp>` +
        `<error type="modify"><undefined-condition xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><failed-rules xmlns="${AMP}#errors">${rule("match-resource", "error", "other")}</failed-rules></error></message>`,
    ]);
    expect(h.inbox("gwb")).toEqual([]);
  });

  it("refuses alert/error/notify from a sender without the recipient's presence (strict), whatever the presence", async () => {
    await setup({ subscribed: false });
    const rules = rule("deliver", "drop", "none") + rule("deliver", "notify", "stored") + rule("deliver", "alert", "direct");
    await h.send(ampWork("bob@localhost", rules, { id: "x1" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the refusal" });
    expect(xmls(h.inbox("gwa"))).toEqual([
      `<message from="localhost" to="${ALICE}" id="x1" type="error"><amp xmlns="${AMP}" from="${ALICE}" to="bob@localhost">${rules}</amp>` +
        `<error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><invalid-rules xmlns="${AMP}">${rule("deliver", "notify", "stored")}${rule("deliver", "alert", "direct")}</invalid-rules></error></message>`,
    ]);
    expect(await h.offline.count("bob@localhost")).toBe(0);
  });

  it("processes a drop-only ruleset from an unauthorised sender (drop reveals nothing)", async () => {
    await setup({ subscribed: false });
    await h.send(ampWork("bob@localhost", rule("deliver", "drop", "stored")));
    await settled();
    expect(h.inbox("gwa")).toEqual([]);
    expect(await h.offline.count("bob@localhost")).toBe(0);
  });

  it("refuses every alert/error/notify under the performance level, even from a subscriber", async () => {
    await setup({ env: { XMPPD__amp__security: "performance" } });
    await h.send(ampWork("bob@localhost", rule("deliver", "notify", "stored"), { id: "p1" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the refusal" });
    expect(xmls(h.inbox("gwa"))[0]).toContain(`<not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><invalid-rules xmlns="${AMP}">`);
  });

  it("checks nothing under the none level", async () => {
    await setup({ subscribed: false, env: { XMPPD__amp__security: "none" } });
    await h.send(ampWork("bob@localhost", rule("deliver", "alert", "stored"), { id: "o1" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the alert" });
    expect(xmls(h.inbox("gwa"))).toEqual([event("o1", "alert", "bob@localhost", rule("deliver", "alert", "stored"))]);
  });

  it("bounces service-unavailable for a missing account (strict passes: no presence to reveal) after a notify of deliver=none", async () => {
    await setup();
    await h.send(ampWork("nobody@localhost", rule("deliver", "notify", "none"), { id: "u1" }));
    await waitFor(() => h.inbox("gwa").length === 2, { what: "notify and bounce" });
    expectNotifyThenBounce("u1", "nobody@localhost");
  });

  // DP-07, DP-18: storage off and a full quota are `none` too: the notify, then the bounce.
  it("notifies deliver=none, then bounces, when offline storage is disabled", async () => {
    await setup({ env: { XMPPD__offline__enabled: "false" } });
    await h.send(ampWork("bob@localhost", rule("deliver", "notify", "none"), { id: "d1" }));
    await waitFor(() => h.inbox("gwa").length === 2, { what: "notify and bounce" });
    expectNotifyThenBounce("d1", "bob@localhost");
    expect(await h.offline.list("bob@localhost")).toEqual([]);
  });

  it("notifies deliver=none, then bounces, when the recipient's offline quota is full", async () => {
    await setup({ env: { XMPPD__offline__quota: "1" } });
    const plain = ampWork("bob@localhost", "", { id: "q0" });
    await h.send({ ...plain, xml: plain.xml.replace(/<amp .*<\/amp>/, ""), amp: undefined });
    await waitFor(async () => (await h.offline.list("bob@localhost")).length === 1, { what: "the quota filled" });
    await h.send(ampWork("bob@localhost", rule("deliver", "notify", "none"), { id: "q1" }));
    await waitFor(() => h.inbox("gwa").length === 2, { what: "notify and bounce" });
    expectNotifyThenBounce("q1", "bob@localhost");
    expect((await h.offline.list("bob@localhost")).length).toBe(1);
  });
});

describe("AMP worker: stored messages, expiry (E3) and flush (E2)", () => {
  it("stores with the unfired expire-at, notifies after the commit, and alerts once when the timer fires", async () => {
    await setup({ env: { XMPPD__amp__expiryIntervalMs: "100" } });
    const at = new Date(Date.now() + 1500).toISOString();
    const rules = rule("deliver", "notify", "stored") + rule("expire-at", "alert", at);
    await h.send(ampWork("bob@localhost", rules, { id: "t1" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the stored notify" });
    const [row] = await h.offline.list("bob@localhost");
    expect(row?.stanza).toBe(`<message xmlns="jabber:client" from="${ALICE}" to="bob@localhost" type="chat" id="t1"><body>hi</body></message>`);
    expect(row?.expiresAt?.toISOString()).toBe(at);
    await waitFor(() => h.inbox("gwa").length === 2, { what: "the expiry alert", timeoutMs: 5000 });
    expect(xmls(h.inbox("gwa"))).toEqual([event("t1", "notify", "bob@localhost", rule("deliver", "notify", "stored")), event("t1", "alert", "bob@localhost", rule("expire-at", "alert", at))]);
    expect(await h.offline.count("bob@localhost")).toBe(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(h.inbox("gwa")).toHaveLength(2);
  });

  it("keeps a notified message stored after its expiry and delivers it at the next login", async () => {
    await setup({ env: { XMPPD__amp__expiryIntervalMs: "100" } });
    const at = new Date(Date.now() + 300).toISOString();
    await h.send(ampWork("bob@localhost", rule("expire-at", "notify", at), { id: "k1" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the expiry notify", timeoutMs: 5000 });
    const [row] = await h.offline.list("bob@localhost");
    expect(row?.expiresAt).toBeNull();
    await h.bindSession("bob@localhost/desk", "gwb", "cb");
    await h.send({ t: "flush", jid: "bob@localhost/desk", gw: "gwb", conn: "cb" });
    await waitFor(() => h.inbox("gwb").length === 1, { what: "the flush" });
    expect(xmls(h.inbox("gwb"))[0]).toMatch(/^<message xmlns="jabber:client" from="alice@localhost\/phone" to="bob@localhost" type="chat" id="k1"><body>hi<\/body><delay /);
  });

  it("never delivers an expired message at flush: the drop runs first (E2)", async () => {
    await setup({ env: { XMPPD__amp__expiryIntervalMs: "1000" } });
    const at = new Date(Date.now() + 200).toISOString();
    await h.send(ampWork("bob@localhost", rule("expire-at", "drop", at)));
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(1);
    await new Promise((r) => setTimeout(r, 250));
    await h.bindSession("bob@localhost/desk", "gwb", "cb");
    await h.send({ t: "flush", jid: "bob@localhost/desk", gw: "gwb", conn: "cb" });
    await settled();
    expect(h.inbox("gwb")).toEqual([]);
    expect(await h.offline.count("bob@localhost")).toBe(0);
  });

  it("stores an event for a sender who went offline and hands it over at the sender's next login (DP-22)", async () => {
    await setup({ env: { XMPPD__amp__expiryIntervalMs: "100" } });
    const at = new Date(Date.now() + 300).toISOString();
    await h.send(ampWork("bob@localhost", rule("expire-at", "alert", at), { id: "g1" }));
    await settled();
    await h.sessions.unbind(ALICE, "ca");
    await waitFor(async () => (await h.offline.count("alice@localhost")) === 1, { what: "the alert stored for alice", timeoutMs: 5000 });
    await h.bindSession("alice@localhost/laptop", "gwc", "cc");
    await h.send({ t: "flush", jid: "alice@localhost/laptop", gw: "gwc", conn: "cc" });
    await waitFor(() => h.inbox("gwc").length === 1, { what: "the stored alert" });
    expect(xmls(h.inbox("gwc"))[0]).toMatch(new RegExp(`^<message from="localhost" to="${ALICE}" id="g1"><amp xmlns="${AMP}" status="alert"`));
  });
});

describe("AMP worker: events survive a worker that stops between the decision and the send", () => {
  it("relays an event recorded but never sent once its claim lapses, exactly once", async () => {
    await setup();
    const [recorded] = await createAmpStore(h.sql).record([{ key: "dead-worker:E1", recipient: ALICE, stanza: event("r1", "alert", "bob@localhost", rule("deliver", "alert", "stored")) }], 1);
    expect(recorded).toBeDefined();
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the relayed event", timeoutMs: 5000 });
    expect(xmls(h.inbox("gwa"))).toEqual([event("r1", "alert", "bob@localhost", rule("deliver", "alert", "stored"))]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.inbox("gwa")).toHaveLength(1);
  });

  // A worker killed after its send but before it marked the event sent: the relay sends it again.
  async function sentTwice(inbox: () => ToGateway[]): Promise<Extract<ToGateway, { t: "deliver" }>[]> {
    await createAmpStore(h.sql).record([{ key: "sent-then-killed:E1", recipient: ALICE, stanza: event("k1", "notify", "bob@localhost", rule("deliver", "notify", "direct")) }], 1);
    await waitFor(() => inbox().length === 1, { what: "the relayed event", timeoutMs: 5000 });
    await h.sql.query(`UPDATE amp.outbox SET sent_at = NULL, claimed_until = now() - interval '1 second' WHERE key = 'sent-then-killed:E1'`);
    await waitFor(() => inbox().length === 2, { what: "the event relayed again", timeoutMs: 5000 });
    return inbox().filter((e) => e.t === "deliver");
  }

  it("sends an event relayed again with its key, which the connection writes once", async () => {
    await setup();
    const sent = await sentTwice(() => h.inbox("gwa"));
    expect(sent.map((e) => e.once)).toEqual(["amp-event:sent-then-killed:E1", "amp-event:sent-then-killed:E1"]);
  });

  it("keeps one copy of an event relayed again for a resumable session, under its first number", async () => {
    await setup();
    await h.sessions.unbind(ALICE, "ca");
    await h.bindResumable(ALICE, "gwb", "cb", "sm-alice");
    const sent = await sentTwice(() => h.inbox("gwb"));
    expect(sent.map((e) => e.sm)).toEqual([1, 1]);
    expect((await h.sm.unacked("sm-alice", 0)).map((q) => q.seq)).toEqual([1]);
  });

  it("sends no second event when the same work is processed again (a redelivery after a crash)", async () => {
    await setup();
    const w = ampWork("bob@localhost", rule("deliver", "alert", "stored"), { id: "d1" });
    await h.send(w);
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the alert" });
    await h.send(w);
    await settled();
    await new Promise((r) => setTimeout(r, 200));
    expect(h.inbox("gwa")).toHaveLength(1);
  });

  it("takes the security level of the recipient's domain from amp.domainSecurity", async () => {
    await setup({ subscribed: false, env: { XMPPD__amp__domainSecurity: JSON.stringify({ localhost: "none" }) } });
    await h.send(ampWork("bob@localhost", rule("deliver", "alert", "stored"), { id: "ds1" }));
    await waitFor(() => h.inbox("gwa").length === 1, { what: "the alert" });
    expect(xmls(h.inbox("gwa"))).toEqual([event("ds1", "alert", "bob@localhost", rule("deliver", "alert", "stored"))]);
  });
});
