// The offline burst on a real NATS work queue: a partition's messages arrive in batches, and those
// for accounts without an available resource are stored with one statement per batch, in order,
// while the rest (bounces, live deliveries, flushes) keep their place.
import { afterEach, describe, expect, it } from "vitest";
import { createNatsBus } from "@xmppd/bus";
import type { OfflineMessage, OfflineStore } from "@xmppd/storage";
import { waitFor } from "@xmppd/testkit";
import { createHarness, messageWork, type Harness } from "./test-harness.ts";

const NATS = "nats://127.0.0.1:4222";
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Records the size of every storeMany call; fails the first `failures` of them. */
function spying(failures = 0) {
  const batches: number[] = [];
  let failing = failures;
  const wrap = (store: OfflineStore): OfflineStore => ({
    ...store,
    async storeMany(msgs: Omit<OfflineMessage, "storedAt">[], quota: number) {
      if (failing-- > 0) throw Object.assign(new Error("connection terminated"), { code: "57P01" });
      batches.push(msgs.length);
      return store.storeMany(msgs, quota);
    },
  });
  return { batches, wrap };
}

async function harness(spy: ReturnType<typeof spying>, env: Record<string, string> = {}): Promise<Harness> {
  const bus = await createNatsBus({ url: NATS, name: "amp-batch-test" });
  // One partition: the whole burst is one ordered stream of work.
  return createHarness({ bus, wrapOffline: spy.wrap, env: { XMPPD__amp__partitions: "1", XMPPD__offline__quota: "40", ...env } });
}

const body = (xml: string) => /<body>([^<]*)<\/body>/.exec(xml)![1];

describe("offline burst in batches (NATS)", { timeout: 60_000 }, () => {
  it("stores a burst with few statements, in order per account; bounces what has no account or no room; delivers to the online one", async () => {
    const spy = spying();
    h = await harness(spy);
    for (const u of ["ann", "ben", "cat", "dan"]) await h.addUser(u);
    await h.bindSession("dan@localhost/pc", "gw1", "c9");
    const gw1 = h.inbox("gw1");
    // 30 each to ann and ben, 50 to cat (its 41st and later exceed the quota of 40), 5 to nobody, 5 to dan (online).
    const sent: { to: string; n: number }[] = [];
    for (let i = 0; i < 50; i++) {
      for (const to of i < 30 ? ["ann", "ben", "cat"] : ["cat"]) sent.push({ to, n: i });
      if (i % 10 === 0) sent.push({ to: "nobody", n: i }, { to: "dan", n: i });
    }
    // Queued while no worker runs, as a backlog is: the worker then takes it in batches.
    await h.worker.stop();
    for (const { to, n } of sent) await h.send(messageWork(`${to}@localhost`, "eve@localhost/x", `${to}-${n}`));
    await h.worker.start();

    await waitFor(async () => (await h!.queue.pending()) === 0, { what: "every work acknowledged", timeoutMs: 30_000 });
    const stored = async (owner: string) => (await h!.offline.list(`${owner}@localhost`)).map((m) => body(m.stanza));
    expect(await stored("ann")).toEqual([...Array(30).keys()].map((i) => `ann-${i}`));
    expect(await stored("ben")).toEqual([...Array(30).keys()].map((i) => `ben-${i}`));
    expect(await stored("cat")).toEqual([...Array(40).keys()].map((i) => `cat-${i}`));
    expect(await stored("nobody")).toEqual([]);
    // Far fewer statements than messages: the burst went in batches.
    expect(spy.batches.reduce((a, b) => a + b, 0)).toBe(110);
    expect(spy.batches.length).toBeLessThan(10);

    const delivered = gw1.filter((e) => e.t === "deliver" && e.conn === "c9").map((e) => body((e as { xml: string }).xml));
    expect(delivered).toEqual([0, 10, 20, 30, 40].map((i) => `dan-${i}`));
  });

  it("stores nothing twice and loses nothing when a batch's statement fails: it is retried in order", async () => {
    const spy = spying(2);
    h = await harness(spy, { XMPPD__offline__quota: "1000" });
    await h.addUser("ann");
    await h.worker.stop();
    for (let i = 0; i < 60; i++) await h.send(messageWork("ann@localhost", "eve@localhost/x", `ann-${i}`));
    await h.worker.start();
    await waitFor(async () => (await h!.queue.pending()) === 0, { what: "every work acknowledged", timeoutMs: 30_000 });
    expect((await h.offline.list("ann@localhost")).map((m) => body(m.stanza))).toEqual([...Array(60).keys()].map((i) => `ann-${i}`));
    expect(spy.batches.length).toBeLessThan(10);
  });

  it("stores XEP-0079 messages whose rules only store them in the batch, with their expiry; one with a rule met still gets its event", async () => {
    const spy = spying();
    h = await harness(spy, { XMPPD__amp__security: "none" });
    await h.addUser("ann");
    const eve = h.inbox("gw2");
    await h.bindSession("eve@localhost/x", "gw2", "c2");
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const amp = (rule: string) => `<amp xmlns='http://jabber.org/protocol/amp'>${rule}</amp>`;
    await h.worker.stop();
    for (let i = 0; i < 30; i++) {
      const rule = i === 20 ? `<rule condition='deliver' action='notify' value='stored'/>` : `<rule condition='expire-at' action='drop' value='${at}'/>`;
      const w = messageWork("ann@localhost", "eve@localhost/x", `ann-${i}`);
      await h.send({ ...w, amp: true, xml: w.xml.replace("</message>", `${amp(rule)}</message>`) });
    }
    await h.worker.start();
    await waitFor(async () => (await h!.queue.pending()) === 0, { what: "every work acknowledged", timeoutMs: 30_000 });
    const rows = await h.offline.list("ann@localhost");
    expect(rows.map((m) => body(m.stanza))).toEqual([...Array(30).keys()].map((i) => `ann-${i}`));
    expect(rows[0]!.expiresAt?.toISOString()).toBe(at);
    expect(rows[0]!.stanza).not.toContain("<amp");
    expect(rows[20]!.expiresAt).toBeNull();
    expect(spy.batches.reduce((a, b) => a + b, 0)).toBe(29);
    expect(spy.batches.length).toBeLessThan(10);
    await waitFor(() => eve.some((e) => e.t === "deliver" && e.xml.includes('status="notify"')), { what: "the notify for deliver=stored" });
  });
});
