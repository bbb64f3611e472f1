import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import type { OfflineStore } from "@xmppd/storage";
import { nakDelay } from "./consumer.ts";
import { createHarness, messageWork } from "./test-harness.ts";
import type { Harness } from "./test-harness.ts";

let h: Harness;
afterEach(async () => h?.close());

/** An offline store whose first `failures` writes fail, like a database restarting. */
function failingFirst(failures: number): (store: OfflineStore) => OfflineStore {
  let left = failures;
  return (store) => ({
    ...store,
    list: store.list.bind(store),
    delete: store.delete.bind(store),
    count: store.count.bind(store),
    store: async (msg, quota) => {
      if (left-- > 0) throw new Error("connection terminated");
      return store.store(msg, quota);
    },
    storeMany: async (msgs, quota) => {
      if (left-- > 0) throw new Error("connection terminated");
      return store.storeMany(msgs, quota);
    },
  });
}

describe("work-queue consumer", () => {
  it("redelivers work whose handler failed instead of losing it", async () => {
    h = await createHarness({ wrapOffline: failingFirst(1) });
    await h.addUser("bob");
    const work = messageWork("bob@localhost", "alice@localhost/phone", "persist me");
    await h.send(work);
    await waitFor(async () => (await h.offline.count("bob@localhost")) === 1, { timeoutMs: 5000, what: "stored after redelivery" });
    await waitFor(async () => (await h.queue.pending()) === 0, { what: "acked" });
    const processed = await h.worker.registry.getSingleMetricAsString("xmpp_amp_work_processed_total");
    expect(processed).toContain('kind="message",outcome="retry"} 1');
    expect(processed).toContain('kind="message",outcome="stored"} 1');
  });

  it("acknowledges undecodable work once instead of redelivering it forever", async () => {
    h = await createHarness();
    const s = (await import("@xmppd/bus")).subjects(h.config.cluster);
    await h.queue.publish(s.ampWork("message", 0), new TextEncoder().encode("{not json"));
    await waitFor(async () => (await h.queue.pending()) === 0, { what: "poison acked" });
    const processed = await h.worker.registry.getSingleMetricAsString("xmpp_amp_work_processed_total");
    expect(processed).toContain('kind="unknown",outcome="invalid"} 1');
  });

  it("backs off exponentially up to a cap", () => {
    expect([1, 2, 3].map(nakDelay)).toEqual([500, 1000, 2000]);
    expect(nakDelay(20)).toBe(30_000);
  });

  it("stop() waits for in-flight work, which then finishes and is acked", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const held = (store: OfflineStore): OfflineStore => ({
      ...store,
      storeMany: async (msgs, quota) => {
        started = true;
        await gate;
        return store.storeMany(msgs, quota);
      },
    });
    h = await createHarness({ wrapOffline: held });
    await h.addUser("bob");
    await h.send(messageWork("bob@localhost", "alice@localhost/phone", "in flight"));
    await waitFor(() => started, { what: "handler started" });
    let stopped = false;
    const stopping = h.worker.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(h.worker.isReady()).toBe(false);
    expect(await h.offline.count("bob@localhost")).toBe(1);
    expect(await h.queue.pending()).toBe(0);
  });
});
