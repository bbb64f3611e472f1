// XEP-0198 in the router with a fake gateway and the in-process SmStore: enable, numbered
// deliveries, handled counts, detaching on a lost stream, resumption on another gateway, and the
// end of a session after its resumption timeout.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ToGateway } from "@xmppd/bus";
import { harnessClient, type HarnessClient } from "./test-client.ts";
import { createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

let h: Harness;
let db: TestDb;
beforeAll(async () => {
  db = await createTestUsers();
});
afterAll(() => db.sql.close());
afterEach(() => h.close());

type Sm = Extract<ToGateway, { t: "sm" }>;
const chat = (to: string, body: string) => `<message to="${to}" type="chat" id="${body}"><body>${body}</body></message>`;

async function enable(c: HarnessClient): Promise<string> {
  const start = h.received.length;
  h.send(c.gw, { t: "sm", conn: c.conn, jid: c.jid, op: "enable" });
  const r = (await h.next((e) => e.t === "sm" && e.conn === c.conn, start)) as Sm;
  expect(r).toMatchObject({ op: "enabled", max: 1 });
  return (r as Extract<Sm, { op: "enabled" }>).id;
}

const numbered = (conn: string) => h.received.filter((e): e is Extract<typeof e, { t: "deliver" }> => e.t === "deliver" && e.conn === conn && e.sm !== undefined);

describe("XEP-0198 in the router", () => {
  it("keeps a delivery whose append failed while the store was away: retried, and the sender's envelope acknowledged only after", async () => {
    let failures = 0;
    h = await startHarness(db, {
      config: { gateway: { streamManagement: { resumeTimeoutSeconds: 1 } } },
      // Redis away for the first two appends of that message (ioredis's words for it).
      wrapSm: (sm) => new Proxy(sm, {
        get: (target, key) => key !== "append" ? Reflect.get(target, key) : (...args: Parameters<typeof sm.append>) =>
          args[1].includes(">while-away<") && failures++ < 2 ? Promise.reject(new Error("Connection is closed.")) : target.append(...args),
      }),
    });
    const juliet = await harnessClient(h, "juliet", "balcony");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    await enable(juliet);
    const start = h.received.length;
    const seq = h.send("gw2", { t: "stanza", conn: romeo.conn, jid: romeo.jid, xml: chat(juliet.jid, "while-away") });
    const ack = h.next((e) => e.t === "ack" && e.conn === romeo.conn && e.seq >= seq, start);
    await h.next((e) => e.t === "deliver" && e.conn === juliet.conn && e.sm === 1, start);
    await ack;
    expect(failures).toBe(3);
    const order = h.received.slice(start).map((e) => (e.t === "deliver" && e.conn === juliet.conn ? "delivered" : e.t === "ack" && e.conn === romeo.conn ? "acked" : null)).filter(Boolean);
    expect(order[0]).toBe("delivered");
  });

  it("numbers deliveries, detaches a lost stream, and resumes it on another gateway with the rest", async () => {
    h = await startHarness(db, { config: { gateway: { streamManagement: { resumeTimeoutSeconds: 1 } } } });
    const juliet = await harnessClient(h, "juliet", "balcony");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const id = await enable(juliet);
    expect((await h.sessions.get("juliet@example.com"))[0]).toMatchObject({ sm: id });
    await romeo.send(chat(juliet.jid, "one"));
    await romeo.send(chat(juliet.jid, "two"));
    expect(numbered(juliet.conn).map((e) => [e.sm, e.xml.includes(">one<") ? "one" : "two"])).toEqual([[1, "one"], [2, "two"]]);
    // juliet's own stanza, counted 1 by her gateway
    const seq = h.send("gw1", { t: "stanza", conn: juliet.conn, jid: juliet.jid, xml: chat(romeo.jid, "hi"), smh: 1 });
    await h.next((e) => e.t === "ack" && e.conn === juliet.conn && e.seq >= seq);
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "ack", upTo: 1 });
    h.send("gw1", { t: "closed", conn: juliet.conn, jid: juliet.jid, reason: "disconnected", resumable: true });
    await new Promise((r) => setTimeout(r, 50));
    await romeo.send(chat(juliet.jid, "three")); // queued while detached: published nowhere
    expect(numbered(juliet.conn)).toHaveLength(2);
    expect((await h.sessions.get("juliet@example.com"))[0]).toMatchObject({ available: true });

    await h.login("gw2", "c-new", "juliet");
    const start = h.received.length;
    h.send("gw2", { t: "sm", conn: "c-new", jid: "juliet@example.com", op: "resume", id, h: 1 });
    const resumed = await h.next((e) => e.t === "sm" && e.conn === "c-new", start);
    expect(resumed).toMatchObject({ op: "resumed", id, jid: juliet.jid, h: 1, acked: 1 });
    await h.next((e) => e.t === "deliver" && e.conn === "c-new" && e.sm === 3, start);
    expect(numbered("c-new").map((e) => e.sm)).toEqual([2, 3]);
    expect((await h.sessions.get("juliet@example.com"))[0]).toMatchObject({ gateway: "gw2", conn: "c-new", sm: id });
    // Past the timeout nothing ends: the session is attached again.
    await new Promise((r) => setTimeout(r, 1300));
    expect(await h.sessions.get("juliet@example.com")).toHaveLength(1);
  });

  it("refuses enable before bind and resumption by another account", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    const id = await (async () => {
      const start = h.received.length;
      h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "enable" });
      return ((await h.next((e) => e.t === "sm" && e.conn === juliet.conn, start)) as Extract<Sm, { op: "enabled" }>).id;
    })();
    await h.login("gw2", "c-x", "romeo");
    await h.login("gw2", "c-y", "romeo");
    const start = h.received.length;
    h.send("gw2", { t: "sm", conn: "c-x", jid: "romeo@example.com", op: "resume", id, h: 0 });
    expect(await h.next((e) => e.t === "sm" && e.conn === "c-x", start)).toMatchObject({ op: "failed", condition: "item-not-found" });
    h.send("gw2", { t: "sm", conn: "c-y", jid: "romeo@example.com", op: "enable" });
    expect(await h.next((e) => e.t === "sm" && e.conn === "c-y", start)).toMatchObject({ op: "failed", condition: "unexpected-request" });
  });

  it("ends a detached session at its timeout: unbound, and the unacknowledged message goes to the offline queue", async () => {
    h = await startHarness(db, { config: { gateway: { streamManagement: { resumeTimeoutSeconds: 1 } } } });
    const juliet = await harnessClient(h, "juliet", "balcony");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    const id = await enable(juliet);
    await romeo.send(chat(juliet.jid, "unread"));
    h.send("gw1", { t: "closed", conn: juliet.conn, jid: juliet.jid, reason: "disconnected", resumable: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.sessions.get("juliet@example.com")).toHaveLength(1);
    const deadline = Date.now() + 5000;
    while ((await h.sessions.get("juliet@example.com")).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await h.sessions.get("juliet@example.com")).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    const stored = h.work.filter((w) => w.t === "message" && w.key === `sm:${id}:1`);
    expect(stored).toEqual([expect.objectContaining({ to: juliet.jid, from: romeo.jid, xml: expect.stringContaining("<body>unread</body>") })]);
  });

  it("answers a replay at once, ahead of the stanzas its connection sent before it, and says what it replayed", async () => {
    h = await startHarness(db, { config: { gateway: { streamManagement: { resumeTimeoutSeconds: 1 } } } });
    const juliet = await harnessClient(h, "juliet", "balcony");
    const romeo = await harnessClient(h, "romeo", "orchard", "gw2");
    await enable(juliet);
    await romeo.send(chat(juliet.jid, "one"));
    await romeo.send(chat(juliet.jid, "two"));
    const start = h.received.length;
    // juliet's gateway relays a burst of her stanzas, then finds a numbered delivery missing.
    for (let i = 0; i < 300; i++) h.send("gw1", { t: "stanza", conn: juliet.conn, jid: juliet.jid, xml: chat(romeo.jid, `b${i}`), smh: i + 1 });
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "replay", after: 0 });
    const replayed = await h.next((e) => e.t === "sm" && e.conn === juliet.conn, start, 5000);
    expect(replayed).toMatchObject({ t: "sm", conn: juliet.conn, op: "replayed", through: 2 });
    const since = h.received.slice(start);
    expect(since.filter((e) => e.t === "deliver" && e.conn === juliet.conn).map((e) => (e as { sm?: number }).sm)).toEqual([1, 2]);
    // Not behind the burst: most of it is still being routed.
    expect(since.filter((e) => e.t === "deliver" && e.conn === romeo.conn).length).toBeLessThan(300);
    await h.next((e) => e.t === "deliver" && e.conn === romeo.conn && e.xml.includes(">b299<"), start, 10_000);
  });

  it("closes a stream whose replay finds no XEP-0198 session (it ended meanwhile)", async () => {
    h = await startHarness(db);
    const juliet = await harnessClient(h, "juliet", "balcony");
    const start = h.received.length;
    h.send("gw1", { t: "sm", conn: juliet.conn, jid: juliet.jid, op: "replay", after: 3 });
    expect(await h.next((e) => e.conn === juliet.conn, start)).toMatchObject({ t: "close", conn: juliet.conn, condition: "internal-server-error", text: "stream management state lost" });
  });
});
