import { describe, expect, it } from "vitest";
import { ampQueue, createMemoryBus, decode, subjects, type AmpWork, type ToGateway } from "@xmppd/bus";
import { configSchema } from "@xmppd/config";
import { parseJid } from "@xmppd/jid";
import { createLogger } from "@xmppd/observability";
import { createMemorySessionStore, type SessionStore } from "@xmppd/storage";
import { parseElement } from "@xmppd/xml";
import { createConnectionTable } from "./connections.ts";
import type { RouterContext } from "./context.ts";
import { deliverLocal } from "./local-delivery.ts";
import { fromElement } from "./routed-stanza.ts";
import { createSessionLookup } from "./session-lookup.ts";

const JULIET = "juliet@example.com";

/** deliverLocal's collaborators: memory sessions and bus, and a work queue that records (or fails). */
async function setup(opts: { failPublish?: boolean } = {}) {
  const s = subjects("ld");
  const bus = createMemoryBus();
  const sessions: SessionStore = createMemorySessionStore();
  await sessions.bind({ jid: `${JULIET}/balcony`, gateway: "gw2", conn: "j1", available: true, priority: 0, boundAt: 1 }, 10);
  const delivered: ToGateway[] = [];
  bus.subscribe(s.gatewayInbox("gw2"), (data) => delivered.push(decode<ToGateway>(data)));
  /** Each published work item with the queued count the moment it was published. */
  const queue: { work: AmpWork; queuedAtPublish: number }[] = [];
  const work = {
    async publish(_subject: string, data: Uint8Array) {
      if (opts.failPublish) throw new Error("jetstream unavailable");
      queue.push({ work: decode<AmpWork>(data), queuedAtPublish: await queued() });
    },
  };
  const ctx = {
    config: configSchema.parse({ domains: ["example.com"], cluster: "ld" }),
    bus, subjects: s, sessions, work, ampQueue: ampQueue(s, 4), lookup: createSessionLookup(sessions), order: () => "0001",
    log: createLogger({ service: "session-router", level: "silent" }),
  } as unknown as RouterContext;
  const state = createConnectionTable(() => {}).get("gw1", "r1");
  const queued = async () => (await sessions.lookup([JULIET])).get(JULIET)!.queued;
  const send = (type: string, to = JULIET) => {
    const el = parseElement(`<message from="romeo@example.com/orchard" to="${to}" type="${type}" id="m"><body>hi</body></message>`);
    return deliverLocal(ctx, state, fromElement(el), "message", parseJid(to), 7);
  };
  return { sessions, delivered, queue, queued, send };
}

describe("local delivery behind queued messages (invariant 2)", () => {
  it("delivers a chat message directly while nothing is queued", async () => {
    const t = await setup();
    expect(await t.send("chat")).toBe("deliver");
    expect(t.delivered).toHaveLength(1);
    expect(t.queue).toEqual([]);
  });

  it("sends a deliverable chat or normal message to the work queue while earlier ones are queued", async () => {
    const t = await setup();
    await t.sessions.addQueued(JULIET, 2);
    expect(await t.send("chat")).toBe("offline");
    expect(await t.send("normal", `${JULIET}/balcony`)).toBe("offline");
    expect(t.delivered).toEqual([]);
    expect(t.queue.map((q) => q.work)).toMatchObject([
      { t: "message", key: "gw1:r1:7", to: JULIET, from: "romeo@example.com/orchard" },
      { t: "message", to: `${JULIET}/balcony` },
    ]);
    // Counted before it was queued, so a later message can never read a count without it.
    expect(t.queue.map((q) => q.queuedAtPublish)).toEqual([3, 4]);
    expect(await t.queued()).toBe(4);
  });

  it("delivers directly despite queued messages while a resource retrieves them flexibly (XEP-0013 §2.2)", async () => {
    const t = await setup();
    await t.sessions.addQueued(JULIET, 2);
    await t.sessions.annotate(`${JULIET}/balcony`, "j1", { flexOffline: true });
    expect(await t.send("chat")).toBe("deliver");
    expect(t.delivered.map((d) => d.t === "deliver" && parseElement(d.xml).attrs.id)).toEqual(["m"]);
    expect(t.queue).toEqual([]);
    expect(await t.queued()).toBe(2);
  });

  it("counts a message for an unavailable account as queued", async () => {
    const t = await setup();
    expect(await t.send("chat", "romeo@example.com")).toBe("offline");
    expect((await t.sessions.lookup(["romeo@example.com"])).get("romeo@example.com")?.queued).toBe(1);
  });

  it("still delivers a headline directly: it is never queued, so it never waits", async () => {
    const t = await setup();
    await t.sessions.addQueued(JULIET, 2);
    expect(await t.send("headline")).toBe("deliver");
    expect(t.delivered).toHaveLength(1);
    expect(t.queue).toEqual([]);
    expect(await t.queued()).toBe(2);
  });

  it("takes the count back when the work queue refuses the message", async () => {
    const t = await setup({ failPublish: true });
    await t.sessions.addQueued(JULIET, 1);
    await expect(t.send("chat")).rejects.toThrow("jetstream unavailable");
    expect(await t.queued()).toBe(1);
    expect(t.delivered).toEqual([]);
  });
});
