import type { OfflineMessage, OfflineStore, SqlClient, StoreOutcome } from "../types.ts";
import { drainOwner } from "./offline-drain.ts";
import { DELETE_IDS, OWNER_LOCK, SELECT_OLDEST, toMessage, type OfflineRow } from "./offline-rows.ts";

// With the owner's lock held, one statement decides and inserts. A duplicate key wins over the
// quota (a republish of a stored message is not a new message). ON CONFLICT covers the same key
// arriving concurrently for another owner, whose lock we do not hold.
const STORE = `
WITH dup AS (SELECT 1 FROM amp.offline_messages WHERE key = $1),
     n AS (SELECT count(*) AS c FROM amp.offline_messages WHERE owner = $2),
     ins AS (
       INSERT INTO amp.offline_messages (key, owner, sender, stanza, order_key, expires_at, meta)
       SELECT $1, $2, $3, $4, $5, $6::timestamptz, $7::jsonb
       WHERE NOT EXISTS (SELECT 1 FROM dup) AND (SELECT c FROM n) < $8
       ON CONFLICT (key) DO NOTHING
       RETURNING 1)
SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'stored'
            WHEN NOT EXISTS (SELECT 1 FROM dup) AND (SELECT c FROM n) >= $8 THEN 'quota'
            ELSE 'duplicate' END AS outcome`;

export function createOfflineStore(sql: SqlClient): OfflineStore {
  async function store(msg: Omit<OfflineMessage, "storedAt">, quota: number): Promise<StoreOutcome> {
    const meta = msg.meta === undefined ? null : JSON.stringify(msg.meta);
    const params = [msg.key, msg.owner, msg.sender, msg.stanza, msg.orderKey, msg.expiresAt, meta, quota];
    return sql.transaction(async (tx) => {
      // Serialises stores per owner so count-then-insert cannot overrun the quota. It must be a
      // statement of its own: a statement's snapshot is taken before it runs.
      await tx.query(OWNER_LOCK, [msg.owner]);
      const res = await tx.query<{ outcome: StoreOutcome }>(STORE, params);
      return res.rows[0]!.outcome;
    });
  }

  return {
    store,
    async list(owner, limit) {
      const res = await sql.query<OfflineRow>(SELECT_OLDEST, [owner, limit ?? null]);
      return res.rows.map(toMessage);
    },
    async delete(ids) {
      const valid = ids.filter((id) => /^[0-9]{1,18}$/.test(id));
      if (valid.length === 0) return 0;
      const res = await sql.query(DELETE_IDS, [valid]);
      return res.rowCount;
    },
    hasStored: (owner) => sql.transaction(async (tx) => {
      // A statement of its own, as in drain: the read below sees every store committed before it.
      await tx.query(OWNER_LOCK, [owner]);
      const res = await tx.query<{ stored: boolean }>(`SELECT EXISTS (SELECT 1 FROM amp.offline_messages WHERE owner = $1) AS stored`, [owner]);
      return res.rows[0]?.stored === true;
    }),
    async count(owner) {
      const res = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM amp.offline_messages WHERE owner = $1`, [owner]);
      return res.rows[0]?.n ?? 0;
    },
    drain: (owner, deliver, pageSize) => drainOwner(sql, owner, deliver, pageSize),
  };
}
