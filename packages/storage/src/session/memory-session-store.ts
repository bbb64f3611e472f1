import type { BindResult, CachedBlocklist, SessionAnnotations, SessionRecord, SessionStore } from "../types.ts";
import { checkDelta, NOTHING_STORED_TTL_MS, QUEUED_TTL_MS } from "./queued.ts";
import { splitFullJid } from "./record.ts";

/**
 * In-process SessionStore for the single-process mode, with the same semantics as the Redis
 * adapter (both pass runSessionStoreContract). Records are copied in and out so callers can
 * never mutate stored state.
 */
/**
 * Expiries run on a monotonic clock, as Redis's do: a wall-clock jump (a test moving Date ahead
 * to pass the identity recheck) must not make every gateway look dead at once.
 */
const now = (): number => performance.now();

export function createMemorySessionStore(): SessionStore {
  const users = new Map<string, Map<string, SessionRecord>>(); // bare -> resource -> record
  const byGateway = new Map<string, Set<string>>(); // gateway -> full JIDs
  const aliveUntil = new Map<string, number>();
  const queuedCounts = new Map<string, { n: number; until: number }>(); // bare -> count, expiry
  const nothingStoredUntil = new Map<string, number>(); // bare -> expiry of the mark
  const blocklists = new Map<string, CachedBlocklist & { until: number }>(); // bare -> cached block list
  const copy = (r: SessionRecord): SessionRecord => ({ ...r });

  function lookup(jid: string): SessionRecord | undefined {
    const { bare, resource } = splitFullJid(jid);
    return users.get(bare)?.get(resource);
  }

  function detachFromGateway(gateway: string, jid: string): void {
    const set = byGateway.get(gateway);
    set?.delete(jid);
    if (set?.size === 0) byGateway.delete(gateway);
  }

  function remove(rec: SessionRecord): void {
    const { bare, resource } = splitFullJid(rec.jid);
    const resources = users.get(bare);
    resources?.delete(resource);
    if (resources?.size === 0) users.delete(bare);
  }

  function bind(rec: SessionRecord, maxResources: number): BindResult {
    const { bare, resource } = splitFullJid(rec.jid);
    const resources = users.get(bare) ?? new Map<string, SessionRecord>();
    const old = resources.get(resource);
    if (resources.size - (old ? 1 : 0) >= maxResources) return { ok: false, reason: "resource-limit" };
    resources.set(resource, copy(rec));
    users.set(bare, resources);
    if (old && old.gateway !== rec.gateway) detachFromGateway(old.gateway, rec.jid);
    const set = byGateway.get(rec.gateway) ?? new Set<string>();
    byGateway.set(rec.gateway, set.add(rec.jid));
    return old ? { ok: true, replaced: copy(old) } : { ok: true };
  }

  function unbind(jid: string, conn: string): SessionRecord | null {
    const rec = lookup(jid);
    if (!rec || rec.conn !== conn) return null;
    remove(rec);
    detachFromGateway(rec.gateway, jid);
    return copy(rec);
  }

  function setPresence(jid: string, conn: string, p: { available: boolean; priority: number; presence?: string }) {
    const rec = lookup(jid);
    if (!rec || rec.conn !== conn) return false;
    rec.available = p.available;
    rec.priority = p.priority;
    if (p.presence === undefined) delete rec.presence;
    else rec.presence = p.presence;
    return true;
  }

  function annotate(jid: string, conn: string, a: SessionAnnotations) {
    const rec = lookup(jid);
    if (!rec || rec.conn !== conn) return false;
    if (a.interested === true) rec.interested = true;
    else if (a.interested === false) delete rec.interested;
    if (a.blocklist === true) rec.blocklist = true;
    else if (a.blocklist === false) delete rec.blocklist;
    if (a.carbons === true) rec.carbons = true;
    else if (a.carbons === false) delete rec.carbons;
    if (a.flexOffline === true) rec.flexOffline = true;
    else if (a.flexOffline === false) delete rec.flexOffline;
    if (a.directed !== undefined) {
      if (a.directed.length > 0) rec.directed = [...a.directed];
      else delete rec.directed;
    }
    return true;
  }

  function listGateway(gateway: string): SessionRecord[] {
    const recs = [...(byGateway.get(gateway) ?? [])].map(lookup);
    return recs.filter((r): r is SessionRecord => r?.gateway === gateway).map(copy);
  }

  function removeGateway(gateway: string): SessionRecord[] {
    const recs = listGateway(gateway);
    for (const rec of recs) remove(rec);
    byGateway.delete(gateway);
    return recs;
  }

  function queued(bare: string): number {
    const q = queuedCounts.get(bare);
    if (q && q.until > now()) return q.n;
    queuedCounts.delete(bare);
    return 0;
  }

  function addQueued(bare: string, delta: number): number {
    const n = Math.max(0, queued(bare) + checkDelta(delta));
    if (n === 0) queuedCounts.delete(bare);
    else queuedCounts.set(bare, { n, until: now() + QUEUED_TTL_MS });
    return n;
  }

  function cachedBlocklist(bare: string): string[] | null {
    const c = blocklists.get(bare);
    if (c && c.until > now()) return [...c.jids];
    blocklists.delete(bare);
    return null;
  }

  function cacheBlocklist(bare: string, list: CachedBlocklist, ttlMs: number): void {
    const cur = blocklists.get(bare);
    if (cur && cur.until > now() && cur.version >= list.version) return;
    blocklists.set(bare, { version: list.version, jids: [...list.jids], until: now() + ttlMs });
  }

  function recipient(bare: string, withSessions: boolean) {
    const carbons = [...(users.get(bare)?.values() ?? [])].filter((s) => s.carbons).length;
    return { sessions: withSessions ? get(bare) : [], queued: withSessions ? queued(bare) : 0, blocked: cachedBlocklist(bare), carbons };
  }

  const get = (bare: string) => [...(users.get(bare)?.values() ?? [])].map(copy);
  const all = () => [...users.values()].flatMap((m) => [...m.values()]);

  let epoch: string | null = null;

  function restore(rec: SessionRecord): "restored" | "present" | "taken" {
    const old = lookup(rec.jid);
    if (old) return old.conn === rec.conn && old.gateway === rec.gateway ? "present" : "taken";
    const { carbons: _carbons, ...rest } = rec;
    bind(rest, Number.MAX_SAFE_INTEGER);
    return "restored";
  }

  return {
    bind: async (rec, max) => bind(rec, max),
    restore: async (rec) => restore(rec),
    epoch: async (candidate) => (epoch ??= candidate),
    unbind: async (jid, conn) => unbind(jid, conn),
    get: async (bare) => get(bare),
    getMany: async (bares) => new Map(bares.map((b) => [b, get(b)])),
    lookup: async (bares, blocklistsOnly = []) =>
      new Map([...blocklistsOnly.map((b) => [b, recipient(b, false)] as const), ...bares.map((b) => [b, recipient(b, true)] as const)]),
    cacheBlocklist: async (bare, list, ttlMs) => cacheBlocklist(bare, list, ttlMs),
    addQueued: async (bare, delta) => addQueued(bare, delta),
    nothingStored: async (bare) => (nothingStoredUntil.get(bare) ?? 0) > now(),
    markNothingStored: async (bare) => void nothingStoredUntil.set(bare, now() + NOTHING_STORED_TTL_MS),
    clearNothingStored: async (bares) => bares.forEach((b) => nothingStoredUntil.delete(b)),
    setPresence: async (jid, conn, p) => setPresence(jid, conn, p),
    annotate: async (jid, conn, a) => annotate(jid, conn, a),
    listGateway: async (gw) => listGateway(gw),
    removeGateway: async (gw) => removeGateway(gw),
    heartbeat: async (gw, ttlMs) => void aliveUntil.set(gw, now() + ttlMs),
    deadGateways: async () => [...byGateway.keys()].filter((gw) => (aliveUntil.get(gw) ?? 0) <= now()),
    list: async (limit) => all().slice(0, Math.max(0, limit)).map(copy),
    count: async () => all().length,
    close: async () => {},
  };
}
