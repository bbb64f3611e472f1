import { randomBytes } from "node:crypto";
import type { ScramCredential, SqlClient, UserRecord, UserStore } from "../types.ts";

export class UserExistsError extends Error {
  override readonly name = "UserExistsError";
  constructor(readonly domain: string, readonly username: string) {
    super(`user ${username}@${domain} already exists`);
  }
}

interface UserRow {
  domain: string;
  username: string;
  scram_sha1: ScramCredential;
  scram_sha256: ScramCredential;
  created_at: Date;
}

const toRecord = (r: UserRow): UserRecord => ({
  username: r.username,
  domain: r.domain,
  scram: { "SCRAM-SHA-1": r.scram_sha1, "SCRAM-SHA-256": r.scram_sha256 },
  createdAt: r.created_at,
});

/** Users in core.users; usernames are prepared localparts, compared byte for byte. */
export function createUserStore(sql: SqlClient): UserStore {
  return {
    async create(user) {
      const res = await sql.query(
        `INSERT INTO core.users (domain, username, scram_sha1, scram_sha256)
         VALUES ($1, $2, $3::jsonb, $4::jsonb) ON CONFLICT (domain, username) DO NOTHING`,
        [user.domain, user.username, JSON.stringify(user.scram["SCRAM-SHA-1"]), JSON.stringify(user.scram["SCRAM-SHA-256"])],
      );
      if (res.rowCount === 0) throw new UserExistsError(user.domain, user.username);
    },
    async get(domain, username) {
      const res = await sql.query<UserRow>(
        `SELECT domain, username, scram_sha1, scram_sha256, created_at FROM core.users
         WHERE domain = $1 AND username = $2`, [domain, username]);
      return res.rows[0] ? toRecord(res.rows[0]) : null;
    },
    async exists(domain, username) {
      const res = await sql.query(`SELECT 1 FROM core.users WHERE domain = $1 AND username = $2`, [domain, username]);
      return res.rows.length > 0;
    },
    async setCredentials(domain, username, scram) {
      const res = await sql.query(
        `UPDATE core.users SET scram_sha1 = $3::jsonb, scram_sha256 = $4::jsonb WHERE domain = $1 AND username = $2`,
        [domain, username, JSON.stringify(scram["SCRAM-SHA-1"]), JSON.stringify(scram["SCRAM-SHA-256"])],
      );
      return res.rowCount > 0;
    },
    async delete(domain, username) {
      // The account's own data goes with it, in the same statement (XEP-0077 §3.2: "all data
      // associated with the account"); offline messages live in the AMP schema, not here. The
      // block list's version is raised, not reset: routers order their Redis copies by it, so the
      // emptied list (and any list of a new account of that name) must outrank a cached one.
      const res = await sql.query(
        `WITH owner AS (SELECT $2::text || '@' || $1::text AS jid),
              r  AS (DELETE FROM core.roster WHERE owner = (SELECT jid FROM owner)),
              rv AS (DELETE FROM core.roster_versions WHERE owner = (SELECT jid FROM owner)),
              b  AS (DELETE FROM core.blocklist WHERE owner = (SELECT jid FROM owner)),
              bv AS (UPDATE core.blocklist_versions SET version = version + 1 WHERE owner = (SELECT jid FROM owner)),
              x  AS (DELETE FROM core.account_xml WHERE owner = (SELECT jid FROM owner)),
              l  AS (DELETE FROM core.last_activity WHERE owner = (SELECT jid FROM owner))
         DELETE FROM core.users WHERE domain = $1 AND username = $2`,
        [domain, username],
      );
      return res.rowCount > 0;
    },
    async list(domain, limit) {
      const res = await sql.query<{ username: string }>(
        `SELECT username FROM core.users WHERE domain = $1 ORDER BY username COLLATE "C" LIMIT $2`,
        [domain, limit ?? null]);
      return res.rows.map((r) => r.username);
    },
    async serverSecret(name) {
      // Whoever inserts first wins; every caller then reads the same value.
      await sql.query(`INSERT INTO core.secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, randomBytes(32)]);
      const res = await sql.query<{ value: Uint8Array }>(`SELECT value FROM core.secrets WHERE name = $1`, [name]);
      return Buffer.from(res.rows[0]!.value);
    },
  };
}
