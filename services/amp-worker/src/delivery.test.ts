// Deliveries from the AMP worker to an XEP-0198 resumable session are numbered and kept in the
// SmStore before they are published, so one in flight when its gateway dies is redelivered on
// resumption instead of being lost (docs/stream-management.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToGateway } from "@xmppd/bus";
import { waitFor } from "@xmppd/testkit";
import { createHarness, messageWork, type Harness } from "./test-harness.ts";

const id = (n: number) => `sm${String(n).padStart(22, "0")}`;
const LIMITS = { maxStanzas: 1000, maxBytes: 2 ** 21 };
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  for (const u of ["alice", "bob", "carol", "dave"]) await h.addUser(u);
});
afterAll(() => h?.close());

const delivered = (gw: string, body: string) => h.inbox(gw).filter((e): e is Extract<ToGateway, { t: "deliver" }> => e.t === "deliver" && e.xml.includes(`<body>${body}</body>`));

describe("AMP worker deliveries under XEP-0198", () => {
  it("numbers a delivery to a resumable session and keeps it until the client acknowledges it", async () => {
    await h.bindResumable("bob@localhost/desk", "gwb", "cb", id(1));
    await h.sm.append(id(1), "<message id='earlier'/>", LIMITS);
    await h.send(messageWork("bob@localhost/desk", "alice@localhost/phone", "numbered"));
    await waitFor(() => delivered("gwb", "numbered").length === 1, { what: "the delivery" });
    expect(delivered("gwb", "numbered")[0]).toMatchObject({ conn: "cb", sm: 2 });
    // The gateway died before the client acknowledged it: resuming elsewhere gets it again.
    const resumed = await h.sm.resume(id(1), "bob@localhost", 1, { gateway: "gwc", conn: "cc" });
    expect(resumed.ok && resumed.items.map((i) => i.seq)).toEqual([2]);
    expect(resumed.ok && resumed.items[0]!.xml).toContain("<body>numbered</body>");
  });

  it("keeps a delivery for a detached session in the store and publishes nothing", async () => {
    await h.bindResumable("carol@localhost/pad", "gwd", "cd", id(2));
    expect(await h.sm.detach(id(2), "cd", Date.now() + 60_000)).toBe(true);
    await h.send(messageWork("carol@localhost/pad", "alice@localhost/phone", "waiting"));
    await waitFor(async () => (await h.queue.pending()) === 0, { what: "processed" });
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered("gwd", "waiting")).toEqual([]);
    const resumed = await h.sm.resume(id(2), "carol@localhost", 0, { gateway: "gwe", conn: "ce" });
    expect(resumed.ok && resumed.items.map((i) => i.xml.includes("<body>waiting</body>"))).toEqual([true]);
  });

  it("delivers unnumbered to a session without resumption", async () => {
    await h.bindSession("dave@localhost/home", "gwf", "cf");
    await h.send(messageWork("dave@localhost/home", "alice@localhost/phone", "plain"));
    await waitFor(() => delivered("gwf", "plain").length === 1, { what: "the delivery" });
    expect(delivered("gwf", "plain")[0]!.sm).toBeUndefined();
  });

  describe("a session whose unacknowledged queue is at its bound (issue 13)", () => {
    const fill = (sm: string) => h.sm.append(sm, `<message>${"x".repeat(LIMITS.maxBytes - 32)}</message>`, LIMITS);
    const closes = (gw: string) => h.inbox(gw).filter((e) => e.t === "close");

    it("a chat message is stored offline, not published unnumbered, and the stream is closed with resource-constraint", async () => {
      await h.bindResumable("alice@localhost/slow", "gwg", "cg", id(3));
      expect((await fill(id(3))).ok).toBe(true);
      await h.send(messageWork("alice@localhost/slow", "bob@localhost/phone", "overflow"));
      await waitFor(() => closes("gwg").length > 0, { what: "the close" });
      expect(closes("gwg")[0]).toMatchObject({ conn: "cg", condition: "resource-constraint" });
      await waitFor(async () => (await h.queue.pending()) === 0, { what: "processed" });
      expect(delivered("gwg", "overflow")).toEqual([]);
      expect((await h.offline.list("alice@localhost")).map((r) => r.stanza.includes("<body>overflow</body>"))).toEqual([true]);
    });

    it("a message type that is never stored is bounced to its sender with resource-constraint", async () => {
      await h.bindResumable("carol@localhost/slow", "gwh", "ch", id(4));
      await h.bindSession("dave@localhost/desk", "gwi", "ci");
      expect((await fill(id(4))).ok).toBe(true);
      await h.send(messageWork("carol@localhost/slow", "dave@localhost/desk", "headline", "headline"));
      await waitFor(() => h.inbox("gwi").some((e) => e.t === "deliver" && e.xml.includes("resource-constraint")), { what: "the bounce" });
      expect(delivered("gwh", "headline")).toEqual([]);
    });
  });
});
