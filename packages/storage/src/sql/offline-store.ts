import type { OfflineMessage, OfflineStore, SqlClient, StoreOutcome } from "../types.ts";

// Advisory lock class for per-owner offline quotas ("xmpo"); the second key is hashtext(owner).
const OWNER_LOCK = `SELECT pg_advisory_xact_lock(${0x786d706f}, hashtext($1))`;

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

interface OfflineRow {
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

const toMessage = (r: OfflineRow): OfflineMessage & { id: string } => ({
  id: r.id, key: r.key, owner: r.owner, sender: r.sender, stanza: r.stanza, orderKey: r.order_key,
  storedAt: r.stored_at, expiresAt: r.expires_at, meta: r.meta,
});

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
      // id is bigint: cast to text so pg (string) and PGlite (number) agree.
      const res = await sql.query<OfflineRow>(
        `SELECT id::text AS id, key, owner, sender, stanza, order_key, stored_at, expires_at, meta
         FROM amp.offline_messages WHERE owner = $1 ORDER BY order_key, id LIMIT $2`,
        [owner, limit ?? null]);
      return res.rows.map(toMessage);
    },
    async delete(ids) {
      const valid = ids.filter((id) => /^[0-9]{1,18}$/.test(id));
      if (valid.length === 0) return 0;
      const res = await sql.query(`DELETE FROM amp.offline_messages WHERE id = ANY($1::bigint[])`, [valid]);
      return res.rowCount;
    },
    async count(owner) {
      const res = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM amp.offline_messages WHERE owner = $1`, [owner]);
      return res.rows[0]?.n ?? 0;
    },
  };
}
