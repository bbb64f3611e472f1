// BlockStore, AccountXmlStore and LastActivityStore (XEP-0191, XEP-0054/0049, XEP-0012), run
// against every SQL adapter. Each test uses its own owner.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountXmlStore, BlockStore, LastActivityStore } from "../types.ts";

export interface AccountStoresFixture {
  blocks: BlockStore;
  xml: AccountXmlStore;
  last: LastActivityStore;
  close(): Promise<void>;
}

export function runAccountStoresContract(label: string, factory: () => Promise<AccountStoresFixture>) {
  describe(`account stores contract: ${label}`, () => {
    let fx: AccountStoresFixture;
    beforeAll(async () => void (fx = await factory()));
    afterAll(() => fx?.close());
    const owner = () => `u${randomBytes(4).toString("hex")}@example.com`;

    it("blocks and unblocks JIDs, bumping the version only on a real change", async () => {
      const o = owner();
      expect(await fx.blocks.get(o)).toEqual({ version: 0, jids: [] });
      expect(await fx.blocks.block(o, ["romeo@x.org", "iago@x.org", "romeo@x.org"])).toEqual({ version: 1, added: ["iago@x.org", "romeo@x.org"] });
      expect(await fx.blocks.block(o, ["romeo@x.org"])).toEqual({ version: 1, added: [] });
      expect(await fx.blocks.block(o, ["x.org/spam", "romeo@x.org"])).toEqual({ version: 2, added: ["x.org/spam"] });
      expect(await fx.blocks.get(o)).toEqual({ version: 2, jids: ["iago@x.org", "romeo@x.org", "x.org/spam"] });
      expect(await fx.blocks.unblock(o, ["nobody@x.org"])).toEqual({ version: 2, removed: [] });
      expect(await fx.blocks.unblock(o, ["romeo@x.org"])).toEqual({ version: 3, removed: ["romeo@x.org"] });
      expect(await fx.blocks.unblock(o, "all")).toEqual({ version: 4, removed: ["iago@x.org", "x.org/spam"] });
      expect(await fx.blocks.get(o)).toEqual({ version: 4, jids: [] });
      expect(await fx.blocks.unblock(o, "all")).toEqual({ version: 4, removed: [] });
    });

    it("gives concurrent changes of one owner distinct, increasing versions", async () => {
      const o = owner();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => fx.blocks.block(o, [`c${i}@x.org`])));
      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect((await fx.blocks.get(o)).jids).toHaveLength(8);
    });

    it("stores, replaces and deletes account XML per kind and key", async () => {
      const o = owner();
      expect(await fx.xml.get(o, "vcard", "")).toBeNull();
      await fx.xml.put(o, "vcard", "", `<vCard xmlns="vcard-temp"><FN>A</FN></vCard>`);
      await fx.xml.put(o, "private", "storage storage:bookmarks", `<storage xmlns="storage:bookmarks"/>`);
      await fx.xml.put(o, "vcard", "", `<vCard xmlns="vcard-temp"><FN>B</FN></vCard>`);
      expect(await fx.xml.get(o, "vcard", "")).toBe(`<vCard xmlns="vcard-temp"><FN>B</FN></vCard>`);
      expect(await fx.xml.get(o, "private", "storage storage:bookmarks")).toBe(`<storage xmlns="storage:bookmarks"/>`);
      expect(await fx.xml.get(owner(), "vcard", "")).toBeNull();
      await fx.xml.put(o, "vcard", "", null);
      expect(await fx.xml.get(o, "vcard", "")).toBeNull();
    });

    it("records the last logout, never moving it back", async () => {
      const o = owner();
      expect(await fx.last.get(o)).toBeNull();
      await fx.last.record(o, new Date("2026-01-02T03:04:05.000Z"), "gone");
      await fx.last.record(o, new Date("2026-01-01T00:00:00.000Z"), "older");
      expect(await fx.last.get(o)).toEqual({ at: new Date("2026-01-02T03:04:05.000Z"), status: "gone" });
      await fx.last.record(o, new Date("2026-01-03T00:00:00.000Z"), "");
      expect(await fx.last.get(o)).toEqual({ at: new Date("2026-01-03T00:00:00.000Z"), status: "" });
    });
  });
}
