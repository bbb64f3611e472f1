// OfflineStore.drain, run inside runOfflineStoreContract for every adapter.
import { expect, it } from "vitest";
import type { OfflineMessage, OfflineStore } from "../types.ts";

type NewMessage = Omit<OfflineMessage, "storedAt">;
type Row = OfflineMessage & { id: string };

interface DrainTestKit {
  store(): OfflineStore;
  newOwner(): string;
  msg(owner: string, over?: Partial<NewMessage>): NewMessage;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function drainTests({ store, newOwner, msg }: DrainTestKit): void {
  async function fill(owner: string, n: number): Promise<string[]> {
    // Stored newest first: the order key, not the insertion order, decides.
    for (let i = n - 1; i >= 0; i--) await store().store(msg(owner, { orderKey: String(i).padStart(4, "0"), stanza: `<m n='${i}'/>` }), 100);
    return Array.from({ length: n }, (_, i) => `<m n='${i}'/>`);
  }

  it("drains oldest first page by page and deletes exactly what was handed off", async () => {
    const owner = newOwner();
    const stanzas = await fill(owner, 5);
    await store().store(msg(newOwner()), 100);
    const pages: string[][] = [];
    const deleted = await store().drain(owner, async (rows) => {
      pages.push(rows.map((r) => r.stanza));
      // The second page hands off only its first row: draining stops there.
      return pages.length === 1 ? rows.map((r) => r.id) : [rows[0]!.id];
    }, 2);
    expect(pages).toEqual([stanzas.slice(0, 2), stanzas.slice(2, 4)]);
    expect(deleted).toBe(3);
    expect((await store().list(owner)).map((r) => r.stanza)).toEqual(stanzas.slice(3));
    expect(await store().drain(owner, async (rows) => rows.map((r) => r.id))).toBe(2);
    expect(await store().count(owner)).toBe(0);
  });

  it("passes every field, deletes none of another owner's rows and never calls deliver for nothing", async () => {
    const [owner, other] = [newOwner(), newOwner()];
    const m = msg(owner, { meta: { rules: [] }, expiresAt: new Date("2031-01-01T00:00:00.000Z") });
    await store().store(m, 100);
    await store().store(msg(other), 100);
    const [foreign] = await store().list(other);
    let seen: Row[] = [];
    expect(await store().drain(owner, async (rows) => ((seen = rows), [...rows.map((r) => r.id), foreign!.id]))).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ ...m, id: expect.stringMatching(/^[0-9]+$/) });
    expect(seen[0]?.storedAt).toBeInstanceOf(Date);
    expect(await store().count(other)).toBe(1);
    let calls = 0;
    expect(await store().drain(owner, async () => (calls++, []))).toBe(0);
    expect(calls).toBe(0);
  });

  it("keeps every row when deliver throws", async () => {
    const owner = newOwner();
    await fill(owner, 3);
    const boom = new Error("bus down");
    await expect(store().drain(owner, async () => Promise.reject(boom), 2)).rejects.toBe(boom);
    expect(await store().count(owner)).toBe(3);
  });

  it("runs concurrent drains of one owner one after the other: each row is delivered once", async () => {
    const owner = newOwner();
    const stanzas = await fill(owner, 7);
    const delivered: string[] = [];
    const drain = () => store().drain(owner, async (rows) => {
      delivered.push(...rows.map((r) => r.stanza));
      await sleep(20);
      return rows.map((r) => r.id);
    }, 3);
    const counts = await Promise.all([drain(), drain(), drain()]);
    expect(delivered).toEqual(stanzas);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(7);
    expect(await store().count(owner)).toBe(0);
  });

  it("makes a store for the owner wait until a running drain has committed", async () => {
    const owner = newOwner();
    await fill(owner, 2);
    let late: Promise<string> | undefined;
    const drained: string[] = [];
    const deleted = await store().drain(owner, async (rows) => {
      late ??= store().store(msg(owner, { orderKey: "0000", stanza: "<late/>" }), 100);
      await sleep(50);
      drained.push(...rows.map((r) => r.stanza));
      return rows.map((r) => r.id);
    }, 1);
    expect(await late).toBe("stored");
    expect(deleted).toBe(2);
    // Page by page: the second read would see the new row (it sorts first) had the store not waited.
    expect(drained).toEqual(["<m n='0'/>", "<m n='1'/>"]);
    expect((await store().list(owner)).map((r) => r.stanza)).toEqual(["<late/>"]);
  });
}
