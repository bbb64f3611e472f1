// Offline messages end to end (2 gateways, 2 routers, 1 AMP worker; real NATS, Redis, Postgres,
// @xmpp/client): XEP-0013 flexible retrieval, and the per-user quota (docs/architecture.md "Limits",
// docs/amp-decisions.md DP-18) with offline.quota set to 3 for this topology.
import { afterAll, describe, expect, it } from "vitest";
import { createPgClient, type SqlClient } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import { isChat, xml, type TestClient } from "./support/clients.ts";
import { canonical } from "./support/stanzas.ts";

const OFFLINE = "http://jabber.org/protocol/offline";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const cluster = useCluster({ gateways: 2, routers: 2, ampWorkers: 1, env: { XMPPD__offline__quota: "3" } }, ["alice", "bob", "carol", "dave"]);
const login = cluster.login;
let sql: SqlClient | undefined;
afterAll(async () => sql?.close());

const db = (): SqlClient => (sql ??= createPgClient({ url: cluster.topo.databaseUrl }));
const storedBodies = async (owner: string): Promise<string[]> =>
  (await db().query<{ stanza: string }>(`SELECT stanza FROM amp.offline_messages WHERE owner = $1 ORDER BY order_key, id`, [owner])).rows.map((r) => /<body>(.*?)<\/body>/.exec(r.stanza)?.[1] ?? "");
const waitStored = async (owner: string, n: number): Promise<void> => {
  const deadline = Date.now() + 15_000;
  while ((await storedBodies(owner)).length < n) {
    if (Date.now() > deadline) throw new Error(`${owner} has fewer than ${n} stored messages`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
/** Sends an IQ and returns the reply exactly as received (result or error). */
async function ask(c: TestClient, iq: Element): Promise<Element> {
  await c.send(iq);
  return c.next((el) => el.name === "iq" && el.attrs.id === iq.attrs.id && (el.attrs.type === "result" || el.attrs.type === "error"));
}
const chat = (to: string, id: string, body: string, type = "chat") => xml("message", { to, type, id }, xml("body", {}, body));

describe("XEP-0013 flexible offline message retrieval", () => {
  it("bob counts and lists his messages before presence, gets no flood at presence, then views, removes, fetches and purges them", async () => {
    const alice = await login(0, "alice", { resource: "desk" });
    await alice.send(chat("bob@localhost", "f1", "first"));
    await alice.send(chat("bob@localhost", "f2", "second"));
    await waitStored("bob@localhost", 2);

    const bob = await login(1, "bob", { resource: "phone", presence: false });
    const server = await ask(bob, xml("iq", { type: "get", to: "localhost", id: "d0" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    expect(server.getChild("query")!.getChildren("feature").map((f) => f.attrs.var)).toEqual(expect.arrayContaining([OFFLINE, "msgoffline"]));

    const count = await ask(bob, xml("iq", { type: "get", id: "d1" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: OFFLINE })));
    expect(canonical(count)).toBe(canonical(
      `<iq type="result" id="d1" to="bob@localhost/phone"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}">` +
        `<identity category="automation" type="message-list"/><feature var="${OFFLINE}"/>` +
        `<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>${OFFLINE}</value></field>` +
        `<field var="number_of_messages"><value>2</value></field></x></query></iq>`));
    const headers = await ask(bob, xml("iq", { type: "get", id: "d2" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: OFFLINE })));
    const items = headers.getChild("query")!.getChildren("item");
    const nodes = items.map((i) => String(i.attrs.node));
    expect(canonical(headers)).toBe(canonical(
      `<iq type="result" id="d2" to="bob@localhost/phone"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}">` +
        nodes.map((n) => `<item jid="bob@localhost" node="${n}" name="alice@localhost/desk"/>`).join("") + `</query></iq>`));
    expect(new Set(nodes).size).toBe(2);

    // §2.2: initial presence after the count brings no flood; in-session messages arrive as usual.
    await bob.send(xml("presence"));
    // The echo of bob's presence comes once he is available: sent before it, alice's message
    // could reach a router first, find no available resource and be stored (no flood then).
    await bob.next((el) => el.name === "presence" && el.attrs.from === "bob@localhost/phone");
    await alice.send(chat("bob@localhost", "live", "while you are here"));
    const live = await bob.next(isChat("alice@localhost"));
    expect(canonical(live)).toBe(canonical(`<message from="alice@localhost/desk" to="bob@localhost" type="chat" id="live"><body>while you are here</body></message>`));
    await new Promise((r) => setTimeout(r, 1000));
    expect(bob.inbox.filter(isChat("alice@localhost")).map((m) => m.attrs.id)).toEqual(["live"]);
    expect(await storedBodies("bob@localhost")).toEqual(["first", "second"]);

    // §2.4: the chosen message, marked with its node, then the result.
    const view = await ask(bob, xml("iq", { type: "get", id: "v1" }, xml("offline", { xmlns: OFFLINE }, xml("item", { action: "view", node: nodes[1] }))));
    expect(canonical(view)).toBe(canonical(`<iq type="result" id="v1" to="bob@localhost/phone"/>`));
    const viewed = bob.inbox.filter(isChat("alice@localhost")).at(-1)!;
    expect(viewed.attrs.id).toBe("f2");
    expect(canonical(viewed.getChild("offline", OFFLINE)!)).toBe(canonical(`<offline xmlns="${OFFLINE}"><item node="${nodes[1]}"/></offline>`));
    expect(viewed.getChild("delay", "urn:xmpp:delay")?.attrs.from).toBe("localhost");

    // §2.5: removed on request only; a removed node is item-not-found.
    expect(canonical(await ask(bob, xml("iq", { type: "set", id: "r1" }, xml("offline", { xmlns: OFFLINE }, xml("item", { action: "remove", node: nodes[0] })))))).toBe(
      canonical(`<iq type="result" id="r1" to="bob@localhost/phone"/>`));
    expect(await storedBodies("bob@localhost")).toEqual(["second"]);
    expect(canonical(await ask(bob, xml("iq", { type: "get", id: "v2" }, xml("offline", { xmlns: OFFLINE }, xml("item", { action: "view", node: nodes[0] })))))).toBe(
      canonical(`<iq type="error" id="v2" to="bob@localhost/phone"><error type="cancel"><item-not-found xmlns="${STANZAS}"/></error></iq>`));

    // §2.6: fetch sends every message with its node, then the result, and keeps them.
    const before = bob.inbox.length;
    const fetched = await ask(bob, xml("iq", { type: "get", id: "f" }, xml("offline", { xmlns: OFFLINE }, xml("fetch"))));
    expect(canonical(fetched)).toBe(canonical(`<iq type="result" id="f" to="bob@localhost/phone"/>`));
    const sent = bob.inbox.slice(before).filter((el) => el.name === "message");
    expect(sent.map((m) => [m.attrs.id, m.getChild("offline", OFFLINE)?.getChild("item")?.attrs.node])).toEqual([["f2", nodes[1]]]);
    expect(await storedBodies("bob@localhost")).toEqual(["second"]);

    // §2.7: purge; nothing is left to count.
    expect(canonical(await ask(bob, xml("iq", { type: "set", id: "p" }, xml("offline", { xmlns: OFFLINE }, xml("purge")))))).toBe(canonical(`<iq type="result" id="p" to="bob@localhost/phone"/>`));
    const none = await ask(bob, xml("iq", { type: "get", id: "d3" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: OFFLINE })));
    expect(none.getChild("query")!.getChild("x")!.getChildren("field")[1]!.getChildText("value")).toBe("0");
    expect(await storedBodies("bob@localhost")).toEqual([]);

    // Another account's queue is not bob's to read.
    const other = await ask(bob, xml("iq", { type: "get", id: "x1", to: "alice@localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: OFFLINE })));
    expect(canonical(other)).toBe(canonical(`<iq type="error" id="x1" from="alice@localhost" to="bob@localhost/phone"><error type="auth"><forbidden xmlns="${STANZAS}"/></error></iq>`));
    await alice.stop();
    await bob.stop();
  });

  it("a client that does not use XEP-0013 still gets its stored messages at initial presence", async () => {
    const alice = await login(0, "alice", { resource: "desk2" });
    await alice.send(chat("bob@localhost", "g1", "flooded"));
    await waitStored("bob@localhost", 1);
    const bob = await login(1, "bob", { resource: "tablet" });
    const got = await bob.next(isChat("alice@localhost"));
    expect(got.attrs.id).toBe("g1");
    expect(got.getChild("offline", OFFLINE)).toBeUndefined();
    await alice.stop();
    await bob.stop();
  });
});

describe("offline quota (offline.quota = 3)", () => {
  it("bounces the chat message beyond the quota with service-unavailable, drops a headline silently, and leaves the stored rows as they were", async () => {
    const alice = await login(0, "alice", { resource: "quota" });
    for (let i = 1; i <= 3; i++) await alice.send(chat("carol@localhost", `q${i}`, `kept ${i}`));
    await waitStored("carol@localhost", 3);
    const rowsBefore = (await db().query(`SELECT id::text, key, stanza, stored_at FROM amp.offline_messages WHERE owner = $1 ORDER BY id`, ["carol@localhost"])).rows;

    await alice.send(chat("carol@localhost", "q4", "one too many"));
    const bounce = await alice.next((el) => el.attrs.type === "error" && el.attrs.id === "q4");
    expect(canonical(bounce)).toBe(canonical(
      `<message from="carol@localhost" to="alice@localhost/quota" type="error" id="q4"><error type="cancel"><service-unavailable xmlns="${STANZAS}"/></error></message>`));
    await alice.send(chat("carol@localhost", "q5", "normal too", "normal"));
    await alice.next((el) => el.attrs.type === "error" && el.attrs.id === "q5");
    // DP-18: a headline to a full queue (or any offline recipient) is discarded without an answer.
    await alice.send(chat("carol@localhost", "h1", "headline", "headline"));
    await new Promise((r) => setTimeout(r, 1000));
    expect(alice.inbox.filter((el) => el.attrs.id === "h1")).toEqual([]);
    const rowsAfter = (await db().query(`SELECT id::text, key, stanza, stored_at FROM amp.offline_messages WHERE owner = $1 ORDER BY id`, ["carol@localhost"])).rows;
    expect(rowsAfter).toEqual(rowsBefore);

    const carol = await login(1, "carol", { resource: "home" });
    const got = await carol.collect(isChat("alice@localhost"), 3);
    expect(got.map((m) => m.attrs.id)).toEqual(["q1", "q2", "q3"]);
    await new Promise((r) => setTimeout(r, 500));
    expect(carol.inbox.filter((el) => el.name === "message").map((m) => m.attrs.id)).toEqual(["q1", "q2", "q3"]);
    await alice.stop();
    await carol.stop();
  });
});
