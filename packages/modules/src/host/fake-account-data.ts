// In-memory stand-ins for the account stores, for module unit tests only (the SQL stores have
// their own contract tests).
import type { AccountXmlStore, BlockStore, LastActivityStore, RosterStore } from "@xmppd/storage";
import type { AccountDataCapability } from "../account-data.ts";

export function fakeAccountData(opts: { authorised?: [string, string][]; available?: string[]; startedAt?: number } = {}): AccountDataCapability {
  const xml = new Map<string, string>();
  const last = new Map<string, { at: Date; status: string }>();
  const xmlStore: AccountXmlStore = {
    get: async (o, k, key) => xml.get(`${o}|${k}|${key}`) ?? null,
    put: async (o, k, key, v) => void (v === null ? xml.delete(`${o}|${k}|${key}`) : xml.set(`${o}|${k}|${key}`, v)),
  };
  const lastStore: LastActivityStore = { get: async (o) => last.get(o) ?? null, record: async (o, at, status) => void last.set(o, { at, status }) };
  const rosters = { authorises: async (o: string, c: string) => (opts.authorised ?? []).some(([a, b]) => a === o && b === c) } as unknown as RosterStore;
  return { xml: xmlStore, last: lastStore, rosters, isAvailable: async (b) => (opts.available ?? []).includes(b), startedAt: opts.startedAt ?? Date.now() };
}

export function fakeBlockStore(): BlockStore & { lists: Map<string, string[]> } {
  const lists = new Map<string, string[]>();
  let version = 0;
  return {
    lists,
    get: async (o) => ({ version, jids: [...(lists.get(o) ?? [])].sort() }),
    async block(o, jids) {
      const cur = lists.get(o) ?? [];
      const added = jids.filter((j) => !cur.includes(j));
      lists.set(o, [...cur, ...added]);
      return { version: added.length ? ++version : version, added };
    },
    async unblock(o, jids) {
      const cur = lists.get(o) ?? [];
      const removed = jids === "all" ? cur : cur.filter((j) => jids.includes(j));
      lists.set(o, cur.filter((j) => !removed.includes(j)));
      return { version: removed.length ? ++version : version, removed };
    },
  };
}
