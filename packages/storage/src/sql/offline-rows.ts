// What the offline store's statements share: the per-owner lock and the row mapping.
import type { OfflineMessage } from "../types.ts";

// Advisory lock class for per-owner offline work ("xmpo"); the second key is hashtext(owner).
// store() and drain() both take it, so for one owner they run one after another.
export const OWNER_LOCK = `SELECT pg_advisory_xact_lock(${0x786d706f}, hashtext($1))`;

/** The owner's rows, oldest first; $1 owner, $2 limit (null: all). id is bigint: cast to text
 * so pg (string) and PGlite (number) agree. */
export const SELECT_OLDEST = `
SELECT id::text AS id, key, owner, sender, stanza, order_key, stored_at, expires_at, meta
FROM amp.offline_messages WHERE owner = $1 ORDER BY order_key, id LIMIT $2`;

export const DELETE_IDS = `DELETE FROM amp.offline_messages WHERE id = ANY($1::bigint[])`;

export interface OfflineRow {
  id: string;
  key: string;
  owner: string;
  sender: string;
  stanza: string;
  order_key: string;
  stored_at: Date;
  expires_at: Date | null;
  meta: unknown;
}

export const toMessage = (r: OfflineRow): OfflineMessage & { id: string } => ({
  id: r.id, key: r.key, owner: r.owner, sender: r.sender, stanza: r.stanza, orderKey: r.order_key,
  storedAt: r.stored_at, expiresAt: r.expires_at, meta: r.meta,
});
