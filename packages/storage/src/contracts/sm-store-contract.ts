import { afterEach, describe, expect, it } from "vitest";
import type { SmStore } from "../sm/types.ts";

const limits = { maxStanzas: 3, maxBytes: 1000 };
const at = { gateway: "gw-1", conn: "c1" };
const id = (n: number) => `id${String(n).padStart(22, "0")}`;

/** One contract for every SmStore adapter: `open` gives a store over a fresh backend. */
export function runSmStoreContract(label: string, open: () => SmStore) {
  describe(`SmStore contract: ${label}`, () => {
    const opened: SmStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    async function fresh(): Promise<SmStore> {
      const s = open();
      opened.push(s);
      await s.create({ id: id(1), jid: "alice@example.com/a", ...at });
      return s;
    }

    it("numbers appended stanzas, says where they go, and keeps them until acknowledged", async () => {
      const s = await fresh();
      expect(await s.append(id(1), "<m1/>", limits)).toEqual({ ok: true, seq: 1, to: at });
      expect(await s.append(id(1), "<m2/>", limits)).toEqual({ ok: true, seq: 2, to: at });
      await s.ack(id(1), 1);
      const r = await s.resume(id(1), "alice@example.com", 1, { gateway: "gw-2", conn: "c2" });
      expect(r).toEqual({ ok: true, jid: "alice@example.com/a", handled: 0, acked: 1, items: [{ seq: 2, xml: "<m2/>" }], previous: at });
      expect(await s.append(id(1), "<m3/>", limits)).toEqual({ ok: true, seq: 3, to: { gateway: "gw-2", conn: "c2" } });
    });

    it("keeps the first number of a stanza appended again under the same once key, even after its ack", async () => {
      const s = await fresh();
      expect(await s.append(id(1), "<e1/>", limits, "ev-1")).toEqual({ ok: true, seq: 1, to: at });
      expect(await s.append(id(1), "<m2/>", limits)).toEqual({ ok: true, seq: 2, to: at });
      expect(await s.append(id(1), "<e1/>", limits, "ev-1")).toEqual({ ok: true, seq: 1, to: at, repeated: true });
      expect(await s.unacked(id(1), 0)).toEqual([{ seq: 1, xml: "<e1/>" }, { seq: 2, xml: "<m2/>" }]);
      await s.ack(id(1), 2);
      // Acknowledged and dropped from the queue, still known: the queue, now empty, is not "full" for it.
      for (let i = 0; i < 3; i++) await s.append(id(1), "<m/>", limits);
      expect(await s.append(id(1), "<e1/>", limits, "ev-1")).toEqual({ ok: true, seq: 1, to: at, repeated: true });
      await s.detach(id(1), "c1", Date.now() + 60_000);
      expect(await s.append(id(1), "<e1/>", limits, "ev-1")).toEqual({ ok: true, seq: 1, repeated: true });
      expect(await s.append(id(1), "<e2/>", { maxStanzas: 10, maxBytes: 1000 }, "ev-2")).toEqual({ ok: true, seq: 6 });
    });

    it("lists what is unacknowledged after a sequence number, for a gateway that missed a delivery", async () => {
      const s = await fresh();
      for (const m of ["<m1/>", "<m2/>", "<m3/>"]) await s.append(id(1), m, limits);
      await s.ack(id(1), 1);
      expect(await s.unacked(id(1), 0)).toEqual([{ seq: 2, xml: "<m2/>" }, { seq: 3, xml: "<m3/>" }]);
      expect(await s.unacked(id(1), 2)).toEqual([{ seq: 3, xml: "<m3/>" }]);
      expect(await s.unacked(id(1), 3)).toEqual([]);
      expect(await s.unacked(id(9), 0)).toEqual([]);
      await s.end(id(1), "c1", 100);
      expect(await s.unacked(id(1), 0)).toEqual([]);
    });

    it("refuses past the limits and for unknown sessions", async () => {
      const s = await fresh();
      for (let i = 0; i < 3; i++) expect((await s.append(id(1), "<m/>", limits)).ok).toBe(true);
      expect(await s.append(id(1), "<m/>", limits)).toEqual({ ok: false, reason: "full" });
      await s.ack(id(1), 3);
      expect(await s.append(id(1), "x".repeat(1001), limits)).toEqual({ ok: false, reason: "full" });
      expect(await s.append(id(9), "<m/>", limits)).toEqual({ ok: false, reason: "gone" });
    });

    it("resumes only the owner's session, and not past what was sent", async () => {
      const s = await fresh();
      await s.append(id(1), "<m1/>", limits);
      await s.handled(new Map([[id(1), 7]]));
      expect(await s.resume(id(1), "mallory@example.com", 0, at)).toEqual({ ok: false, reason: "unknown" });
      expect(await s.resume(id(9), "alice@example.com", 0, at)).toEqual({ ok: false, reason: "unknown" });
      expect(await s.resume(id(1), "alice@example.com", 2, at)).toEqual({ ok: false, reason: "too-high", handled: 7 });
    });

    it("unwraps h at 2^32", async () => {
      const s = await fresh();
      await s.append(id(1), "<m1/>", limits);
      // h = 2^32 - 1 would mean 4294967295 stanzas acknowledged: more than the one sent.
      expect((await s.resume(id(1), "alice@example.com", 2 ** 32 - 1, at)).ok).toBe(false);
      const r = await s.resume(id(1), "alice@example.com", 1, at);
      expect(r.ok && r.items).toEqual([]);
    });

    it("detaches, keeps queueing, and ends with what was never acknowledged", async () => {
      const s = await fresh();
      await s.append(id(1), "<m1/>", limits);
      expect(await s.detach(id(1), "other", 10)).toBe(false);
      expect(await s.detach(id(1), "c1", 10)).toBe(true);
      expect(await s.append(id(1), "<m2/>", limits)).toEqual({ ok: true, seq: 2 });
      expect(await s.end(id(1), "c1", 100)).toBeNull();
      expect(await s.claimDue(5, 100, 10)).toEqual([]);
      expect(await s.claimDue(10, 100, 10)).toEqual([id(1)]);
      expect(await s.claimDue(10, 100, 10)).toEqual([]);
      expect(await s.end(id(1), null, 200)).toEqual({ jid: "alice@example.com/a", conn: "c1", items: [{ seq: 1, xml: "<m1/>" }, { seq: 2, xml: "<m2/>" }] });
      expect(await s.append(id(1), "<m3/>", limits)).toEqual({ ok: false, reason: "gone" });
      // The caller that ended it died: the session is due again when the lease runs out.
      expect(await s.claimDue(200, 300, 10)).toEqual([id(1)]);
      await s.remove(id(1));
      expect(await s.end(id(1), null, 400)).toBeNull();
    });

    it("detaches every session of a dead gateway, and resumption attaches them again", async () => {
      const s = await fresh();
      await s.create({ id: id(2), jid: "bob@example.com/b", gateway: "gw-2", conn: "c9" });
      expect(await s.detachGateway("gw-1", 50)).toEqual([id(1)]);
      expect(await s.detachGateway("gw-1", 50)).toEqual([]);
      const r = await s.resume(id(1), "alice@example.com", 0, { gateway: "gw-2", conn: "c3" });
      expect(r.ok && r.previous).toBeUndefined();
      expect(await s.claimDue(100, 200, 10)).toEqual([]);
      expect(await s.end(id(1), "c3", 300)).toEqual({ jid: "alice@example.com/a", conn: "c3", items: [] });
    });

    it("restores an attached session as its gateway holds it, numbering on after its items", async () => {
      const s = open();
      opened.push(s);
      const items = [{ seq: 4, xml: "<m4/>" }, { seq: 5, xml: "<m5/>" }];
      expect(await s.restore({ id: id(3), jid: "carol@example.com/c", ...at, handled: 7, acked: 3, items })).toBe(true);
      expect(await s.restore({ id: id(3), jid: "carol@example.com/c", ...at, handled: 0, acked: 0, items: [] })).toBe(false);
      expect(await s.append(id(3), "<m6/>", limits)).toEqual({ ok: true, seq: 6, to: at });
      expect(await s.append(id(3), "<m7/>", limits)).toEqual({ ok: false, reason: "full" });
      await s.ack(id(3), 4);
      expect(await s.detach(id(3), "c1", 10)).toBe(true);
      expect(await s.claimDue(10, 100, 10)).toEqual([id(3)]);
      expect(await s.end(id(3), null, 200)).toEqual({ jid: "carol@example.com/c", conn: "c1", items: [{ seq: 5, xml: "<m5/>" }, { seq: 6, xml: "<m6/>" }] });
      await expect(s.restore({ id: id(4), jid: "carol@example.com/c", ...at, handled: 0, acked: 1, items: [{ seq: 3, xml: "<x/>" }] })).rejects.toThrow(/expected 2/);
    });

    it("resumes a restored session with its handled count", async () => {
      const s = open();
      opened.push(s);
      await s.restore({ id: id(5), jid: "dave@example.com/d", ...at, handled: 9, acked: 2, items: [{ seq: 3, xml: "<m3/>" }] });
      const r = await s.resume(id(5), "dave@example.com", 2, { gateway: "gw-2", conn: "c2" });
      expect(r).toEqual({ ok: true, jid: "dave@example.com/d", handled: 9, acked: 2, items: [{ seq: 3, xml: "<m3/>" }], previous: at });
    });
  });
}
