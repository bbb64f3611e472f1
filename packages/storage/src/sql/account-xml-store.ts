// XML kept per account in core.account_xml: the vCard (XEP-0054) and private XML (XEP-0049).
import type { AccountXmlStore, SqlClient } from "../types.ts";

export function createAccountXmlStore(sql: SqlClient): AccountXmlStore {
  return {
    async get(owner, kind, key) {
      const res = await sql.query<{ xml: string }>(`SELECT xml FROM core.account_xml WHERE owner = $1 AND kind = $2 AND key = $3`, [owner, kind, key]);
      return res.rows[0]?.xml ?? null;
    },
    async put(owner, kind, key, xml) {
      if (xml === null) {
        await sql.query(`DELETE FROM core.account_xml WHERE owner = $1 AND kind = $2 AND key = $3`, [owner, kind, key]);
        return;
      }
      await sql.query(
        `INSERT INTO core.account_xml (owner, kind, key, xml) VALUES ($1, $2, $3, $4)
         ON CONFLICT (owner, kind, key) DO UPDATE SET xml = EXCLUDED.xml`, [owner, kind, key, xml]);
    },
  };
}
