import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { createBlockStore } from "@xmppd/storage";
import { parseElement } from "@xmppd/xml";
import { createHarness, messageWork } from "../test-harness.ts";
import type { Harness } from "../test-harness.ts";
import { FLUSH_PAGE } from "./flush.ts";

let h: Harness;
afterEach(async () => h?.close());

const settled = async (): Promise<void> => {
  await waitFor(async () => (await h.queue.pending()) === 0, { what: "work queue drained" });
};

async function storeMessages(n: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = messageWork("bob@localhost", "alice@localhost/phone", `m${i}`);
    bodies.push(`m${i}`);
    // Stored directly, as the message path would, with increasing order keys.
    await h.offline.store({ key: w.key, owner: "bob@localhost", sender: w.from, stanza: w.xml, orderKey: w.order, expiresAt: null, meta: null }, 1000);
  }
  return bodies;
}

describe("flush work", () => {
  it("delivers stored messages oldest first with <delay/>, then deletes them", async () => {
    h = await createHarness();
    await h.addUser("bob");
    await storeMessages(3);
    const stored = await h.offline.list("bob@localhost");
    await h.sessions.addQueued("bob@localhost", 4); // the 3 stored ones and one still on its way
    await h.bindSession("bob@localhost/laptop", "gw2", "c7");
    const inbox = h.inbox("gw2");
    // Two flushes at once (say, two presences): each row is still delivered once.
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await settled();
    expect((await h.sessions.lookup(["bob@localhost"])).get("bob@localhost")?.queued).toBe(1);
    expect(inbox.map((e) => e.t === "deliver" && e.conn)).toEqual(["c7", "c7", "c7"]);
    const stanzas = inbox.map((e) => parseElement(e.t === "deliver" ? e.xml : ""));
    expect(stanzas.map((s) => s.getChildText("body"))).toEqual(["m0", "m1", "m2"]);
    stanzas.forEach((s, i) => {
      const delay = s.getChild("delay", "urn:xmpp:delay");
      expect(delay?.attrs.from).toBe("localhost");
      expect(delay?.attrs.stamp).toBe(stored[i]?.storedAt.toISOString());
      expect(delay?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    });
    expect(await h.offline.count("bob@localhost")).toBe(0);
  });

  it("reads a login's stored messages in one drain: no expiry pass when none is due", async () => {
    const calls: string[] = [];
    h = await createHarness({
      wrapOffline: (o) => ({ ...o, drain: (...a) => (calls.push("drain"), o.drain(...a)) }),
      wrapAmp: (a) => ({ ...a, expireOwner: (...args) => (calls.push("expireOwner"), a.expireOwner(...args)) }),
    });
    await h.addUser("bob");
    await storeMessages(3);
    await h.bindSession("bob@localhost/laptop", "gw2", "c7");
    const inbox = h.inbox("gw2");
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await settled();
    expect(inbox.filter((e) => e.t === "deliver")).toHaveLength(3);
    expect(calls).toEqual(["drain"]);
  });

  it("pages through more than one page in order", async () => {
    h = await createHarness();
    await h.addUser("bob");
    const bodies = await storeMessages(FLUSH_PAGE + 3);
    await h.bindSession("bob@localhost/laptop", "gw2", "c7");
    const inbox = h.inbox("gw2");
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await settled();
    expect(inbox.map((e) => parseElement(e.t === "deliver" ? e.xml : "").getChildText("body"))).toEqual(bodies);
    expect(await h.offline.count("bob@localhost")).toBe(0);
  });

  it("keeps the messages when the session is already gone", async () => {
    h = await createHarness();
    await h.addUser("bob");
    await storeMessages(2);
    await h.bindSession("bob@localhost/laptop", "gw2", "other-conn");
    const inbox = h.inbox("gw2");
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await settled();
    expect(inbox).toEqual([]);
    expect(await h.offline.count("bob@localhost")).toBe(2);
    const processed = await h.worker.registry.getSingleMetricAsString("xmpp_amp_work_processed_total");
    expect(processed).toContain('kind="flush",outcome="stale"} 1');
  });
});

describe("stored messages from a contact blocked since (XEP-0191 §3.4)", () => {
  async function storeFrom(from: string, body: string): Promise<void> {
    const w = messageWork("bob@localhost", from, body);
    await h.offline.store({ key: w.key, owner: "bob@localhost", sender: w.from, stanza: w.xml, orderKey: w.order, expiresAt: null, meta: null }, 1000);
  }

  async function setup(): Promise<void> {
    h = await createHarness();
    for (const u of ["alice", "bob", "carol"]) await h.addUser(u);
    await storeFrom("alice@localhost/phone", "from alice");
    await storeFrom("carol@localhost/desk", "from carol");
    await createBlockStore(h.sql).block("bob@localhost", ["alice@localhost"]);
    await h.bindSession("alice@localhost/phone", "gw1", "ca");
    h.inbox("gw1");
    h.inbox("gw2");
  }

  const bodies = (gw: string) => h.inbox(gw).map((e) => parseElement(e.t === "deliver" ? e.xml : "").getChildText("body"));
  const errorTo = (gw: string) => h.inbox(gw).map((e) => (e.t === "deliver" ? e.xml : ""));

  it("are not flushed at login: the sender gets service-unavailable from the account, and the row goes", async () => {
    await setup();
    await h.bindSession("bob@localhost/laptop", "gw2", "c7");
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await settled();
    expect(bodies("gw2")).toEqual(["from carol"]);
    expect(errorTo("gw1")).toHaveLength(1);
    const err = parseElement(errorTo("gw1")[0]!);
    expect([err.attrs.type, err.attrs.from, err.attrs.to]).toEqual(["error", "bob@localhost", "alice@localhost/phone"]);
    expect(err.getChild("error")?.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    expect(await h.offline.count("bob@localhost")).toBe(0);
    // The list read from Postgres is cached beside the sessions, as the routers cache it.
    expect((await h.sessions.lookup(["bob@localhost"])).get("bob@localhost")?.blocked).toEqual(["alice@localhost"]);
  });

  it("are not drained when a later message finds the account online", async () => {
    await setup();
    await h.bindSession("bob@localhost/laptop", "gw2", "c7");
    await h.sessions.addQueued("bob@localhost", 3);
    await h.send(messageWork("bob@localhost", "carol@localhost/desk", "later"));
    await settled();
    expect(bodies("gw2")).toEqual(["from carol", "later"]);
    expect(errorTo("gw1")).toHaveLength(1);
    expect(await h.offline.count("bob@localhost")).toBe(0);
  });
});

describe("flush work when Postgres fails after delivery", () => {
  it("delivers the rows again under the same once keys, so the gateway drops the repeats", async () => {
    let failed = false;
    h = await createHarness({
      wrapOffline: (store) => ({
        ...store,
        // The deliveries went out; then the connection died before the delete committed.
        drain: (owner, deliver, page) => store.drain(owner, async (rows) => {
          const ids = await deliver(rows);
          if (!failed) {
            failed = true;
            throw new Error("Connection terminated unexpectedly");
          }
          return ids;
        }, page),
      }),
    });
    await h.addUser("bob");
    await storeMessages(2);
    await h.bindSession("bob@localhost/laptop", "gw2", "c7");
    const inbox = h.inbox("gw2");
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await settled();
    expect(failed).toBe(true);
    expect(await h.offline.count("bob@localhost")).toBe(0);
    const keys = inbox.map((e) => (e.t === "deliver" ? e.once : undefined));
    // Sent twice (before and after the failure), each time under its row's key.
    expect(keys).toHaveLength(4);
    expect(keys.every((k) => typeof k === "string" && k.startsWith("offline:"))).toBe(true);
    expect(new Set(keys).size).toBe(2);
    expect(keys.slice(0, 2)).toEqual(keys.slice(2));
  });
});
