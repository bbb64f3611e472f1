import type { SessionRecord } from "../types.ts";

/** Splits a canonical full JID at its first '/' (a prepared bare JID never contains one). */
export function splitFullJid(jid: string): { bare: string; resource: string } {
  const slash = jid.indexOf("/");
  if (slash <= 0 || slash === jid.length - 1) throw new Error(`not a full JID: ${jid}`);
  return { bare: jid.slice(0, slash), resource: jid.slice(slash + 1) };
}

export function encodeRecord(rec: SessionRecord): string {
  const { jid, gateway, conn, available, priority, presence, boundAt, interested, directed, blocklist, carbons, flexOffline } = rec;
  const out: Record<string, unknown> = { jid, gateway, conn, available, priority, boundAt };
  if (presence !== undefined) out.presence = presence;
  if (interested) out.interested = true;
  if (directed && directed.length > 0) out.directed = directed;
  if (blocklist) out.blocklist = true;
  if (carbons) out.carbons = true;
  if (rec.sm !== undefined) out.sm = rec.sm;
  if (flexOffline) out.flexOffline = true;
  return JSON.stringify(out);
}

export function decodeRecord(json: string): SessionRecord {
  const o = JSON.parse(json) as SessionRecord;
  const rec: SessionRecord = {
    jid: o.jid, gateway: o.gateway, conn: o.conn,
    available: o.available === true, priority: Number(o.priority), boundAt: Number(o.boundAt),
  };
  if (typeof o.presence === "string") rec.presence = o.presence;
  if (o.interested === true) rec.interested = true;
  // Lua's cjson writes an empty array as {}: only a non-empty array is a list.
  if (Array.isArray(o.directed) && o.directed.length > 0) rec.directed = o.directed.map(String);
  if (o.blocklist === true) rec.blocklist = true;
  if (o.carbons === true) rec.carbons = true;
  if (typeof o.sm === "string") rec.sm = o.sm;
  if (o.flexOffline === true) rec.flexOffline = true;
  return rec;
}

export function decodeHash(hash: Record<string, string> | null | undefined): SessionRecord[] {
  return hash ? Object.values(hash).map(decodeRecord) : [];
}
