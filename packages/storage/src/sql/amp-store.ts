// XEP-0079 storage: the event outbox and the expiry of stored messages (DP-02 passes E2/E3,
// DP-21 timers). Expiry runs under the owner's lock, like store and drain, so one worker fires
// each due rule once, and never while another worker is draining the same owner.
import type { AmpStore, ExpiryResult, RecordedEvent, SqlClient } from "../types.ts";
import { claimStale, markSent, pruneSent, recordEvents } from "./amp-outbox.ts";
import { OWNER_LOCK, toMessage, type OfflineRow } from "./offline-rows.ts";

const DUE_ROWS = `
SELECT id::text AS id, key, owner, sender, stanza, order_key, stored_at, expires_at, meta
FROM amp.offline_messages WHERE owner = $1 AND expires_at <= $2
ORDER BY order_key, id FOR UPDATE`;

export function createAmpStore(sql: SqlClient): AmpStore {
  return {
    record: (events, claimMs) => recordEvents(sql, events, claimMs),
    markSent: (ids) => markSent(sql, ids),
    claimStale: (limit, claimMs) => claimStale(sql, limit, claimMs),
    pruneSent: (olderThanMs) => pruneSent(sql, olderThanMs),
    async dueOwners(now, limit) {
      const res = await sql.query<{ owner: string }>(
        `SELECT DISTINCT owner FROM amp.offline_messages WHERE expires_at <= $1 LIMIT $2`, [now, limit]);
      return res.rows.map((r) => r.owner);
    },
    expireOwner: (owner, now, verdict, claimMs) =>
      sql.transaction(async (tx): Promise<ExpiryResult> => {
        await tx.query(OWNER_LOCK, [owner]);
        const rows = (await tx.query<OfflineRow>(DUE_ROWS, [owner, now])).rows.map(toMessage);
        const events: RecordedEvent[] = [];
        const lagsMs: number[] = [];
        for (const row of rows) {
          lagsMs.push(now.getTime() - (row.expiresAt as Date).getTime());
          const v = verdict(row);
          if (v.t === "delete") await tx.query(`DELETE FROM amp.offline_messages WHERE id = $1`, [row.id]);
          else {
            await tx.query(`UPDATE amp.offline_messages SET meta = $2::jsonb, expires_at = $3 WHERE id = $1`,
              [row.id, JSON.stringify(v.meta), v.expiresAt]);
          }
          events.push(...(await recordEvents(tx, v.events, claimMs)));
        }
        return { rows: rows.length, events, lagsMs };
      }),
    async pendingTimers() {
      const res = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM amp.offline_messages WHERE expires_at IS NOT NULL`);
      return res.rows[0]?.n ?? 0;
    },
    purge: (owner, opts) =>
      sql.transaction(async (tx) => {
        await tx.query(OWNER_LOCK, [owner]);
        const filter = opts?.expirableOnly ? " AND expires_at IS NOT NULL" : "";
        return (await tx.query(`DELETE FROM amp.offline_messages WHERE owner = $1${filter}`, [owner])).rowCount;
      }),
  };
}
