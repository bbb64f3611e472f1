// The "nothing stored" marks that let routers skip the flush at initial presence
// (nothing-stored.ts): set by a flush that finds no row, cleared by every store, and a message
// stored for an account that came online meanwhile is drained at once instead of waiting.
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import type { OfflineStore } from "@xmppd/storage";
import { createHarness, messageWork, type Harness } from "./test-harness.ts";

let h: Harness;
afterEach(async () => h?.close());

const settled = () => waitFor(async () => (await h.queue.pending()) === 0, { what: "work queue drained" });
const bodies = (inbox: ReturnType<Harness["inbox"]>) => inbox.flatMap((e) => (e.t === "deliver" ? [/<body>([^<]*)</.exec(e.xml)?.[1]] : []));

describe("nothing-stored marks", () => {
  it("are set by a flush that finds nothing and cleared by a message stored afterwards", async () => {
    h = await createHarness();
    await h.addUser("bob");
    await h.bindSession("bob@localhost/laptop", "gw2", "c7");
    const inbox = h.inbox("gw2");
    expect(await h.sessions.nothingStored("bob@localhost")).toBe(false);
    await h.send({ t: "flush", jid: "bob@localhost/laptop", gw: "gw2", conn: "c7" });
    await settled();
    expect(await h.sessions.nothingStored("bob@localhost")).toBe(true);
    // bob leaves; a message for him is stored (the batch path) and the mark goes with it.
    await h.sessions.unbind("bob@localhost/laptop", "c7");
    await h.send(messageWork("bob@localhost", "alice@localhost/phone", "while away"));
    await settled();
    expect(await h.offline.count("bob@localhost")).toBe(1);
    expect(await h.sessions.nothingStored("bob@localhost")).toBe(false);
    // His next login flushes it (the router asks, the mark being gone), and marks nothing again
    // only once a flush finds nothing.
    await h.bindSession("bob@localhost/desk", "gw2", "c8");
    await h.send({ t: "flush", jid: "bob@localhost/desk", gw: "gw2", conn: "c8" });
    await settled();
    expect(bodies(inbox)).toEqual(["while away"]);
    expect(await h.sessions.nothingStored("bob@localhost")).toBe(false);
    await h.send({ t: "flush", jid: "bob@localhost/desk", gw: "gw2", conn: "c8" });
    await settled();
    expect(await h.sessions.nothingStored("bob@localhost")).toBe(true);
  });

  it("drains a message stored for an account that came online while it was being stored, with no flush asked", async () => {
    // bob's resource binds while the batch is being stored: the sessions read before it saw
    // nobody, and a router that read bob's mark (still there) asked for no flush.
    let comeOnline: (() => Promise<void>) | null = null;
    const wrapOffline = (store: OfflineStore): OfflineStore => ({
      ...store,
      storeMany: async (msgs, quota, hooks) => {
        const out = await store.storeMany(msgs, quota, hooks);
        const online = comeOnline;
        comeOnline = null;
        await online?.();
        return out;
      },
    });
    h = await createHarness({ wrapOffline });
    await h.addUser("bob");
    await h.sessions.markNothingStored("bob@localhost");
    const inbox = h.inbox("gw2");
    comeOnline = () => h.bindSession("bob@localhost/laptop", "gw2", "c7");
    await h.send(messageWork("bob@localhost", "alice@localhost/phone", "just in time"));
    await settled();
    expect(bodies(inbox)).toEqual(["just in time"]);
    expect(await h.offline.count("bob@localhost")).toBe(0);
    expect(await h.sessions.nothingStored("bob@localhost")).toBe(false);
  });
});
