import type { OfflineMessage, OfflineStore, OwnerLockHooks, SqlClient, StoreOutcome } from "../types.ts";
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

// The batch form: the first row of each key not stored yet is inserted while its owner's count
// (stored plus the batch's earlier rows) is under the quota ($8). Rows come as arrays (unnest):
// one statement whatever the batch's size. Answers the keys it stored and those over quota.
const STORE_MANY = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[])
    WITH ORDINALITY AS t(key, owner, sender, stanza, order_key, expires_at, meta, i)),
firsts AS (SELECT DISTINCT ON (key) * FROM input ORDER BY key, i),
fresh AS (SELECT * FROM firsts f WHERE NOT EXISTS (SELECT 1 FROM amp.offline_messages m WHERE m.key = f.key)),
stored AS (SELECT owner, count(*) AS c FROM amp.offline_messages WHERE owner IN (SELECT owner FROM fresh) GROUP BY owner),
ranked AS (
  SELECT fresh.*, coalesce(stored.c, 0) + row_number() OVER (PARTITION BY fresh.owner ORDER BY fresh.i) AS n
  FROM fresh LEFT JOIN stored USING (owner)),
ins AS (
  INSERT INTO amp.offline_messages (key, owner, sender, stanza, order_key, expires_at, meta)
  SELECT key, owner, sender, stanza, order_key, expires_at, meta FROM ranked WHERE n <= $8 ORDER BY i
  ON CONFLICT (key) DO NOTHING
  RETURNING key)
SELECT key, 'stored' AS outcome FROM ins
UNION ALL SELECT key, 'quota' FROM ranked WHERE n > $8`;

/** Owners' locks in one statement, in a fixed order so two batches cannot deadlock. */
const OWNER_LOCKS = `SELECT pg_advisory_xact_lock(${0x786d706f}, h) FROM (SELECT DISTINCT hashtext(o) AS h FROM unnest($1::text[]) o) x ORDER BY h`;

export function createOfflineStore(sql: SqlClient): OfflineStore {
  async function store(msg: Omit<OfflineMessage, "storedAt">, quota: number, hooks?: OwnerLockHooks): Promise<StoreOutcome> {
    const meta = msg.meta === undefined ? null : JSON.stringify(msg.meta);
    const params = [msg.key, msg.owner, msg.sender, msg.stanza, msg.orderKey, msg.expiresAt, meta, quota];
    return sql.transaction(async (tx) => {
      // Serialises stores per owner so count-then-insert cannot overrun the quota. It must be a
      // statement of its own: a statement's snapshot is taken before it runs.
      await tx.query(OWNER_LOCK, [msg.owner]);
      await hooks?.beforeStore?.([msg.owner]);
      const res = await tx.query<{ outcome: StoreOutcome }>(STORE, params);
      return res.rows[0]!.outcome;
    });
  }

  async function storeMany(msgs: Omit<OfflineMessage, "storedAt">[], quota: number, hooks?: OwnerLockHooks): Promise<StoreOutcome[]> {
    if (msgs.length === 0) return [];
    const col = <K extends Exclude<keyof OfflineMessage, "storedAt">>(k: K) => msgs.map((m) => m[k]);
    const meta = msgs.map((m) => (m.meta === undefined || m.meta === null ? null : JSON.stringify(m.meta)));
    const params = [col("key"), col("owner"), col("sender"), col("stanza"), col("orderKey"), col("expiresAt"), meta, quota];
    const decided = await sql.transaction(async (tx) => {
      const owners = [...new Set(col("owner"))];
      await tx.query(OWNER_LOCKS, [owners]);
      await hooks?.beforeStore?.(owners);
      const res = await tx.query<{ key: string; outcome: StoreOutcome }>(STORE_MANY, params);
      return new Map(res.rows.map((r) => [r.key, r.outcome]));
    });
    // A key's first row has the statement's answer (none: it was stored before); later ones repeat it.
    const seen = new Set<string>();
    return msgs.map((m) => {
      if (seen.has(m.key)) return "duplicate";
      seen.add(m.key);
      return decided.get(m.key) ?? "duplicate";
    });
  }

  return {
    store,
    storeMany,
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
    async count(owner) {
      const res = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM amp.offline_messages WHERE owner = $1`, [owner]);
      return res.rows[0]?.n ?? 0;
    },
    drain: (owner, deliver, pageSize, hooks) => drainOwner(sql, owner, deliver, pageSize, hooks),
  };
}
