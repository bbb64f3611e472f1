import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflineMessage, OfflineStore } from "../types.ts";
import { drainTests } from "./offline-drain-contract.ts";

export interface OfflineStoreFixture {
  store: OfflineStore;
  close(): Promise<void>;
}

type NewMessage = Omit<OfflineMessage, "storedAt">;

/** Runs against one migrated database; each test uses its own random owner. */
export function runOfflineStoreContract(label: string, factory: () => Promise<OfflineStoreFixture>) {
  describe(`OfflineStore contract: ${label}`, () => {
    let fx: OfflineStoreFixture;
    beforeAll(async () => void (fx = await factory()));
    afterAll(() => fx?.close());
    const id = () => randomBytes(6).toString("hex");
    const newOwner = () => `${id()}@example.com`;
    const msg = (owner: string, over: Partial<NewMessage> = {}): NewMessage => ({
      key: id(), owner, sender: "bob@example.com/phone", stanza: `<message to='${owner}'><body>hi</body></message>`,
      orderKey: "0001", expiresAt: null, meta: null, ...over,
    });

    it("stores a message and lists it back with every field", async () => {
      const owner = newOwner();
      const m = msg(owner, { expiresAt: new Date("2030-01-02T03:04:05.678Z"), meta: { rules: [{ condition: "deliver", value: "stored" }], fired: [0] } });
      expect(await fx.store.store(m, 100)).toBe("stored");
      const [got, ...rest] = await fx.store.list(owner);
      expect(rest).toEqual([]);
      expect(got).toMatchObject({ ...m, expiresAt: m.expiresAt });
      expect(got?.id).toMatch(/^[0-9]+$/);
      expect(got?.storedAt).toBeInstanceOf(Date);
      expect(await fx.store.count(owner)).toBe(1);
      await fx.store.delete([got!.id]);
      expect(await fx.store.count(owner)).toBe(0);
    });

    it("runs its hooks with the owners' locks held: a store waits for an empty drain's whenNoneStored", async () => {
      const owner = newOwner();
      const calls: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const checking = fx.store.drain(owner, async () => [], 10, { whenNoneStored: async (o) => (calls.push(`none ${o === owner}`), gate) });
      while (calls.length === 0) await new Promise((r) => setTimeout(r, 5));
      const storing = fx.store.store(msg(owner), 5, { beforeStore: async (owners) => void calls.push(`store ${owners.join()}`) });
      await new Promise((r) => setTimeout(r, 100));
      expect(calls).toEqual(["none true"]);
      release();
      expect(await checking).toBe(0);
      expect(await storing).toBe("stored");
      expect(calls).toEqual(["none true", `store ${owner}`]);
      const other = newOwner();
      const many = fx.store.storeMany([msg(other), msg(owner)], 5, { beforeStore: async (owners) => void calls.push(`many ${[...owners].sort().join()}`) });
      expect(await many).toEqual(["stored", "stored"]);
      expect(calls.at(-1)).toBe(`many ${[other, owner].sort().join()}`);
      // Rows stored, even ones this drain leaves: no such call.
      expect(await fx.store.drain(owner, async () => [], 10, { whenNoneStored: async () => void calls.push("none again") })).toBe(0);
      expect(calls).toHaveLength(3);
    });

    it("treats a repeated key as a duplicate, even at the quota", async () => {
      const owner = newOwner();
      const m = msg(owner);
      expect(await fx.store.store(m, 1)).toBe("stored");
      expect(await fx.store.store({ ...m, stanza: "<message/>" }, 1)).toBe("duplicate");
      expect(await fx.store.store(m, 5)).toBe("duplicate");
      expect(await fx.store.store({ ...m, owner: newOwner() }, 5)).toBe("duplicate");
      expect(await fx.store.count(owner)).toBe(1);
      expect((await fx.store.list(owner))[0]?.stanza).toBe(m.stanza);
    });

    it("refuses messages beyond the quota", async () => {
      const owner = newOwner();
      for (let i = 0; i < 3; i++) expect(await fx.store.store(msg(owner), 3)).toBe("stored");
      expect(await fx.store.store(msg(owner), 3)).toBe("quota");
      expect(await fx.store.store(msg(newOwner()), 0)).toBe("quota");
      expect(await fx.store.count(owner)).toBe(3);
    });

    it("stores a batch as store() would one by one: order, duplicates, quota per owner", async () => {
      const [a, b] = [newOwner(), newOwner()];
      const before = msg(a, { orderKey: "0000" });
      expect(await fx.store.store(before, 3)).toBe("stored");
      const batch = [
        msg(a, { orderKey: "0001", meta: { fired: [1] } }), msg(b, { orderKey: "0002", expiresAt: new Date("2030-01-01T00:00:00Z") }),
        { ...before, orderKey: "0003" }, msg(a, { orderKey: "0004" }), msg(a, { orderKey: "0005" }),
      ];
      batch.push({ ...batch[1]!, orderKey: "0006" });
      expect(await fx.store.storeMany(batch, 3)).toEqual(["stored", "stored", "duplicate", "stored", "quota", "duplicate"]);
      expect((await fx.store.list(a)).map((m) => [m.orderKey, m.meta])).toEqual([["0000", null], ["0001", { fired: [1] }], ["0004", null]]);
      expect(await fx.store.list(b)).toMatchObject([{ orderKey: "0002", expiresAt: new Date("2030-01-01T00:00:00Z") }]);
      expect(await fx.store.storeMany([], 3)).toEqual([]);
    });

    it("lets exactly one of several concurrent stores take the last slot", async () => {
      const owner = newOwner();
      for (let i = 0; i < 4; i++) await fx.store.store(msg(owner), 5);
      // Warm a connection pool so the racing stores really run side by side.
      await Promise.all(Array.from({ length: 8 }, () => fx.store.count(owner)));
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => fx.store.store(msg(owner), 5)));
      expect(outcomes.filter((o) => o === "stored")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "quota")).toHaveLength(5);
      expect(await fx.store.count(owner)).toBe(5);
    });

    it("stores one copy when the same key is stored concurrently", async () => {
      const owner = newOwner();
      const m = msg(owner);
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => fx.store.store(m, 100)));
      expect(outcomes.sort()).toEqual(["duplicate", "duplicate", "duplicate", "duplicate", "stored"]);
      expect(await fx.store.count(owner)).toBe(1);
    });

    it("lists oldest first by order key then id, with a limit", async () => {
      const owner = newOwner();
      const keys = ["b", "B", "a", "b", "a10", "a9"];
      for (const [i, orderKey] of keys.entries()) await fx.store.store(msg(owner, { orderKey, stanza: `<m n='${i}'/>` }), 100);
      await fx.store.store(msg(newOwner(), { orderKey: "0" }), 100);
      const listed = await fx.store.list(owner);
      expect(listed.map((m) => m.stanza)).toEqual(["<m n='1'/>", "<m n='2'/>", "<m n='4'/>", "<m n='5'/>", "<m n='0'/>", "<m n='3'/>"]);
      expect((await fx.store.list(owner, 2)).map((m) => m.orderKey)).toEqual(["B", "a"]);
    });

    it("deletes by id and reports how many it deleted", async () => {
      const owner = newOwner();
      for (let i = 0; i < 3; i++) await fx.store.store(msg(owner, { orderKey: String(i) }), 100);
      const [first, second, third] = await fx.store.list(owner);
      expect(await fx.store.delete([first!.id, second!.id, "999999999999", "not-a-number"])).toBe(2);
      expect(await fx.store.delete([first!.id])).toBe(0);
      expect(await fx.store.delete([])).toBe(0);
      expect((await fx.store.list(owner)).map((m) => m.id)).toEqual([third!.id]);
      expect(await fx.store.count(owner)).toBe(1);
      expect(await fx.store.count(newOwner())).toBe(0);
    });

    drainTests({ store: () => fx.store, newOwner, msg });
  });
}
