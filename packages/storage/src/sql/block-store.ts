// XEP-0191 block lists in core.blocklist. Each change runs in one transaction holding the owner's
// core.blocklist_versions row, so writers of one owner take turns and every change that really
// changes the list gets its own, higher version (what the Redis copy is ordered by).
import type { BlockStore, SqlClient } from "../types.ts";

type Tx = Pick<SqlClient, "query">;

// Creates the row at version 0 if needed and locks it until commit.
const LOCK_VERSION = `
INSERT INTO core.blocklist_versions (owner, version) VALUES ($1, 0)
ON CONFLICT (owner) DO UPDATE SET version = core.blocklist_versions.version
RETURNING version::text AS version`;
const BUMP = `UPDATE core.blocklist_versions SET version = version + 1 WHERE owner = $1 RETURNING version::text AS version`;

async function locked<T>(sql: SqlClient, owner: string, change: (tx: Tx) => Promise<T[]>): Promise<{ version: number; changed: T[] }> {
  return sql.transaction(async (tx) => {
    const before = (await tx.query<{ version: string }>(LOCK_VERSION, [owner])).rows[0]!.version;
    const changed = await change(tx);
    if (changed.length === 0) return { version: Number(before), changed };
    const after = (await tx.query<{ version: string }>(BUMP, [owner])).rows[0]!.version;
    return { version: Number(after), changed };
  });
}

const SELECT_LIST = `
SELECT (SELECT version::text FROM core.blocklist_versions WHERE owner = $1) AS version,
       ARRAY(SELECT jid FROM core.blocklist WHERE owner = $1 ORDER BY jid) AS jids`;

export function createBlockStore(sql: SqlClient): BlockStore {
  return {
    // One statement reads from one snapshot, subqueries included: the version and the list agree
    // without a transaction (one round trip instead of five; it is read at every first login).
    async get(owner) {
      const res = await sql.query<{ version: string | null; jids: string[] }>(SELECT_LIST, [owner]);
      const row = res.rows[0];
      return { version: Number(row?.version ?? 0), jids: row?.jids ?? [] };
    },
    async block(owner, jids) {
      const { version, changed } = await locked(sql, owner, async (tx) => {
        const res = await tx.query<{ jid: string }>(
          `INSERT INTO core.blocklist (owner, jid) SELECT $1, j FROM unnest($2::text[]) AS j
           ON CONFLICT DO NOTHING RETURNING jid`, [owner, [...new Set(jids)]]);
        return res.rows.map((r) => r.jid);
      });
      return { version, added: changed.sort() };
    },
    async unblock(owner, jids) {
      const { version, changed } = await locked(sql, owner, async (tx) => {
        const res = jids === "all"
          ? await tx.query<{ jid: string }>(`DELETE FROM core.blocklist WHERE owner = $1 RETURNING jid`, [owner])
          : await tx.query<{ jid: string }>(`DELETE FROM core.blocklist WHERE owner = $1 AND jid = ANY($2::text[]) RETURNING jid`, [owner, jids]);
        return res.rows.map((r) => r.jid);
      });
      return { version, removed: changed.sort() };
    },
  };
}
