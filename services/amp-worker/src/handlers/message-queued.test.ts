// Chat and normal messages from the queue: stored, then drained in order, and each released
// from the account's queued count exactly once (invariant 2).
import { afterEach, describe, expect, it } from "vitest";
import type { OfflineStore } from "@xmppd/storage";
import { waitFor } from "@xmppd/testkit";
import { parseElement } from "@xmppd/xml";
import { createHarness, messageWork } from "../test-harness.ts";
import type { Harness } from "../test-harness.ts";

let h: Harness;
afterEach(async () => h?.close());

const BOB = "bob@localhost";
const ALICE = "alice@localhost/phone";
const settled = () => waitFor(async () => (await h.queue.pending()) === 0, { what: "work queue drained" });
const queued = async (bare = BOB) => (await h.sessions.lookup([bare])).get(bare)!.queued;
const bodies = (gw: string) => h.inbox(gw).map((e) => parseElement(e.t === "deliver" ? e.xml : "").getChildText("body"));

/** A harness whose fake gateways gw1 (alice) and gw2 (bob) listen from the start. */
async function start(opts: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
  h = await createHarness(opts);
  h.inbox("gw1");
  h.inbox("gw2");
  return h;
}

/** Enqueues like the router does: counted first, then published. */
async function enqueue(to: string, body: string, type = "chat") {
  await h.sessions.addQueued(to.split("/")[0]!, 1);
  const work = messageWork(to, ALICE, body, type);
  await h.send(work);
  return work;
}

describe("message work for chat and normal messages", () => {
  it("stores a message for an available recipient, then drains it after the ones that waited", async () => {
    await start();
    await h.addUser("bob");
    await enqueue(BOB, "waited");
    await settled();
    expect(await h.offline.count(BOB)).toBe(1);
    expect(await queued()).toBe(1);
    await h.bindSession(`${BOB}/laptop`, "gw2", "c9");
    await enqueue(BOB, "now");
    await settled();
    expect(bodies("gw2")).toEqual(["waited", "now"]);
    expect(await h.offline.count(BOB)).toBe(0);
    expect(await queued()).toBe(0);
  });

  it("keeps the queue's order for a burst handled concurrently", async () => {
    await start();
    await h.addUser("bob");
    await h.bindSession(`${BOB}/laptop`, "gw2", "c9");
    const sent = Array.from({ length: 40 }, (_, i) => `m${i}`);
    for (const body of sent) await enqueue(BOB, body);
    await settled();
    expect(bodies("gw2")).toEqual(sent);
    expect(await queued()).toBe(0);
  });

  it("releases a duplicate of a stored message once, and the stored one when it is drained", async () => {
    await start();
    await h.addUser("bob");
    const work = await enqueue(BOB, "once");
    await h.sessions.addQueued(BOB, 1);
    await h.send(work);
    await settled();
    expect(await h.offline.count(BOB)).toBe(1);
    expect(await queued()).toBe(1);
    await h.bindSession(`${BOB}/laptop`, "gw2", "c9");
    await h.send({ t: "flush", jid: `${BOB}/laptop`, gw: "gw2", conn: "c9" });
    await settled();
    expect(bodies("gw2")).toEqual(["once"]);
    expect(await queued()).toBe(0);
  });

  it("does not release a redelivered message that finds its own row, and still drains it", async () => {
    let failDrain = true;
    const wrapOffline = (store: OfflineStore): OfflineStore => ({
      ...store,
      drain: async (owner, deliver, pageSize) => {
        if (failDrain) throw new Error((failDrain = false, "connection reset"));
        return store.drain(owner, deliver, pageSize);
      },
    });
    await start({ wrapOffline });
    await h.addUser("bob");
    await h.bindSession(`${BOB}/laptop`, "gw2", "c9");
    await h.sessions.addQueued(BOB, 1); // another message, still on its way
    await enqueue(BOB, "retried");
    await waitFor(async () => bodies("gw2").length === 1 && (await h.queue.pending()) === 0, { timeoutMs: 5000, what: "redelivered" });
    expect(bodies("gw2")).toEqual(["retried"]);
    expect(await queued()).toBe(1);
  });

  it("bounces and releases a message for an account that does not exist", async () => {
    await start();
    await h.bindSession(ALICE, "gw1", "c1");
    await enqueue("nobody@localhost", "hello?");
    await settled();
    expect(h.inbox("gw1").map((e) => e.t === "deliver" && parseElement(e.xml).attrs.type)).toEqual(["error"]);
    expect(await queued("nobody@localhost")).toBe(0);
  });

  it("bounces and releases a message beyond the quota of an offline account", async () => {
    await start({ env: { XMPPD__offline__quota: "1" } });
    await h.addUser("bob");
    await h.bindSession(ALICE, "gw1", "c1");
    await enqueue(BOB, "kept");
    await enqueue(BOB, "refused");
    await settled();
    expect(await h.offline.count(BOB)).toBe(1);
    expect(h.inbox("gw1")).toHaveLength(1);
    expect(await queued()).toBe(1);
  });

  it("delivers directly and releases when storage is disabled but the recipient is available", async () => {
    await start({ env: { XMPPD__offline__enabled: "false" } });
    await h.addUser("bob");
    await h.bindSession(`${BOB}/laptop`, "gw2", "c9");
    const work = await enqueue(BOB, "direct");
    await settled();
    expect(h.inbox("gw2")).toEqual([{ t: "deliver", conn: "c9", xml: work.xml, once: `amp:${work.key}` }]);
    expect(await queued()).toBe(0);
  });

  it("never touches the count for a headline", async () => {
    await start();
    await h.addUser("bob");
    await h.bindSession(`${BOB}/laptop`, "gw2", "c9");
    await h.sessions.addQueued(BOB, 2);
    await h.send(messageWork(BOB, ALICE, "news", "headline"));
    await settled();
    expect(bodies("gw2")).toEqual(["news"]);
    expect(await queued()).toBe(2);
  });
});
