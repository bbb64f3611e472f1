import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { parseElement } from "@xmppd/xml";
import { createHarness, messageWork } from "../test-harness.ts";
import type { Harness } from "../test-harness.ts";

let h: Harness;
afterEach(async () => h?.close());

const settled = async (): Promise<void> => {
  await waitFor(async () => (await h.queue.pending()) === 0, { what: "work queue drained" });
};

describe("message work: offline path", () => {
  it("stores a chat message for an offline user", async () => {
    h = await createHarness();
    await h.addUser("bob");
    const work = messageWork("bob@localhost", "alice@localhost/phone", "hi");
    await h.send(work);
    await settled();
    const rows = await h.offline.list("bob@localhost");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ key: work.key, owner: "bob@localhost", sender: "alice@localhost/phone", stanza: work.xml, orderKey: work.order, expiresAt: null });
  });

  it("stores a message republished with the same key only once", async () => {
    h = await createHarness();
    await h.addUser("bob");
    await h.bindSession("alice@localhost/phone", "gw1", "c1");
    const work = messageWork("bob@localhost", "alice@localhost/phone", "once");
    await h.send(work);
    await h.send(work);
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(1);
    expect(h.inbox("gw1")).toEqual([]);
  });

  it("bounces service-unavailable to the sender when the quota is full", async () => {
    h = await createHarness({ env: { XMPPD__offline__quota: "1" } });
    await h.addUser("bob");
    await h.bindSession("alice@localhost/phone", "gw1", "c1");
    const inbox = h.inbox("gw1");
    await h.send(messageWork("bob@localhost", "alice@localhost/phone", "first"));
    await settled();
    const second = messageWork("bob@localhost", "alice@localhost/phone", "second");
    await h.send(second);
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(1);
    expect(inbox).toHaveLength(1);
    const id = parseElement(second.xml).attrs.id as string;
    // RFC 6120 §8.3: to/from swapped (from = the recipient's bare JID), id kept, type cancel.
    expect(inbox).toEqual([
      {
        t: "deliver",
        conn: "c1",
        xml:
          `<message xmlns="jabber:client" to="alice@localhost/phone" from="bob@localhost" type="error" id="${id}">` +
          `<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
        once: `amp:${second.key}:bounce`,
      },
    ]);
  });

  it("bounces when the recipient has no account, and stores nothing", async () => {
    h = await createHarness();
    await h.bindSession("alice@localhost/phone", "gw1", "c1");
    const inbox = h.inbox("gw1");
    await h.send(messageWork("nobody@localhost", "alice@localhost/phone", "hello?"));
    await settled();
    expect(await h.offline.count("nobody@localhost")).toBe(0);
    expect(inbox).toHaveLength(1);
    const error = parseElement(inbox[0]?.t === "deliver" ? inbox[0].xml : "");
    expect(error.attrs).toMatchObject({ type: "error", from: "nobody@localhost", to: "alice@localhost/phone" });
    expect(error.getChild("error")?.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
  });

  it("bounces when offline storage is disabled", async () => {
    h = await createHarness({ env: { XMPPD__offline__enabled: "false" } });
    await h.addUser("bob");
    await h.bindSession("alice@localhost/phone", "gw1", "c1");
    const inbox = h.inbox("gw1");
    await h.send(messageWork("bob@localhost", "alice@localhost/phone", "hi"));
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(0);
    expect(inbox).toHaveLength(1);
  });

  it("drops a headline silently: nothing stored, nothing sent", async () => {
    h = await createHarness();
    await h.addUser("bob");
    await h.bindSession("alice@localhost/phone", "gw1", "c1");
    const inbox = h.inbox("gw1");
    await h.send(messageWork("bob@localhost", "alice@localhost/phone", "news", "headline"));
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(0);
    expect(inbox).toEqual([]);
  });

  it("bounces a groupchat message instead of storing it", async () => {
    h = await createHarness();
    await h.addUser("bob");
    await h.bindSession("alice@localhost/phone", "gw1", "c1");
    const inbox = h.inbox("gw1");
    await h.send(messageWork("bob@localhost", "alice@localhost/phone", "room?", "groupchat"));
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(0);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.t === "deliver" && inbox[0].xml).toContain("<service-unavailable");
  });

  it("delivers through storage when the recipient came online meanwhile, marked with <delay/>", async () => {
    h = await createHarness();
    await h.addUser("bob");
    await h.bindSession("bob@localhost/laptop", "gw2", "c9");
    const inbox = h.inbox("gw2");
    const work = messageWork("bob@localhost", "alice@localhost/phone", "just in time");
    await h.send(work);
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(0);
    expect(inbox.map((e) => e.t === "deliver" && e.conn)).toEqual(["c9"]);
    const got = parseElement(inbox[0]?.t === "deliver" ? inbox[0].xml : "");
    expect(got.attrs.id).toBe(parseElement(work.xml).attrs.id);
    expect(got.getChild("delay", "urn:xmpp:delay")?.attrs.from).toBe("localhost");
  });

  it("drops the error when the sender is gone (errors are never stored)", async () => {
    h = await createHarness();
    await h.send(messageWork("nobody@localhost", "alice@localhost/gone", "x"));
    await settled();
    expect(await h.offline.count("alice@localhost")).toBe(0);
    const processed = await h.worker.registry.getSingleMetricAsString("xmpp_amp_work_processed_total");
    expect(processed).toContain('kind="message",outcome="bounce-dropped"} 1');
  });
});
