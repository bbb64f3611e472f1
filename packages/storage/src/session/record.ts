import type { SessionRecord } from "../types.ts";

/** Splits a canonical full JID at its first '/' (a prepared bare JID never contains one). */
export function splitFullJid(jid: string): { bare: string; resource: string } {
  const slash = jid.indexOf("/");
  if (slash <= 0 || slash === jid.length - 1) throw new Error(`not a full JID: ${jid}`);
  return { bare: jid.slice(0, slash), resource: jid.slice(slash + 1) };
}

export function encodeRecord(rec: SessionRecord): string {
  const { jid, gateway, conn, available, priority, presence, boundAt } = rec;
  return JSON.stringify(presence === undefined
    ? { jid, gateway, conn, available, priority, boundAt }
    : { jid, gateway, conn, available, priority, presence, boundAt });
}

export function decodeRecord(json: string): SessionRecord {
  const o = JSON.parse(json) as SessionRecord;
  const rec: SessionRecord = {
    jid: o.jid, gateway: o.gateway, conn: o.conn,
    available: o.available === true, priority: Number(o.priority), boundAt: Number(o.boundAt),
  };
  if (typeof o.presence === "string") rec.presence = o.presence;
  return rec;
}

export function decodeHash(hash: Record<string, string> | null | undefined): SessionRecord[] {
  return hash ? Object.values(hash).map(decodeRecord) : [];
}
