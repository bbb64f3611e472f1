// XEP-0012: when each account's last session ended, in core.last_activity.
import type { LastActivityStore, SqlClient } from "../types.ts";

export function createLastActivityStore(sql: SqlClient): LastActivityStore {
  return {
    async get(owner) {
      const res = await sql.query<{ at: Date | string; status: string }>(`SELECT at, status FROM core.last_activity WHERE owner = $1`, [owner]);
      const row = res.rows[0];
      return row ? { at: new Date(row.at), status: row.status } : null;
    },
    async record(owner, at, status) {
      // A late writer (an older session's end processed after a newer one) never moves it back.
      await sql.query(
        `INSERT INTO core.last_activity (owner, at, status) VALUES ($1, $2, $3)
         ON CONFLICT (owner) DO UPDATE SET at = EXCLUDED.at, status = EXCLUDED.status
         WHERE core.last_activity.at <= EXCLUDED.at`, [owner, at, status]);
    },
  };
}
