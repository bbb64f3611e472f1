// What migrate() checks before it changes anything: the versions already recorded and whether the
// connected role could apply the rest. Services connect as roles without CREATE rights.
import type { SqlClient } from "../types.ts";
import type { Migration, MigrationSet } from "./migrate.ts";

const UNDEFINED_TABLE = "42P01";
const INVALID_SCHEMA = "3F000";
const INSUFFICIENT_PRIVILEGE = "42501";

const code = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;

/** The schema is behind and this role may not migrate it: the owner must, with the admin CLI. */
export class MigrationRequiredError extends Error {
  override readonly name = "MigrationRequiredError";
  constructor(readonly set: MigrationSet, readonly pending: readonly Migration[], readonly role: string) {
    const list = pending.map((m) => `${String(m.version).padStart(3, "0")}_${m.name}`).join(", ");
    const url = set === "amp" ? "AMP_DATABASE_URL (or DATABASE_URL when amp shares it)" : "DATABASE_URL";
    super(`schema ${set} is not migrated (pending: ${list}) and role ${role} may not migrate it: ` +
      `run \`npm run admin -- migrate\` and then \`npm run admin -- grant ...\` with ${url} set to the schema owner's URL, then start again`);
  }
}

/** This role may not even read the schema's migration table: the grants were never applied. */
export class SchemaAccessError extends Error {
  override readonly name = "SchemaAccessError";
  constructor(readonly set: MigrationSet, readonly role: string, options: { cause: unknown }) {
    super(`role ${role} may not read ${set}.schema_migrations: apply the grants as the schema owner ` +
      `(\`npm run admin -- grant --router-role ... --amp-role ...\`, docs/least-privilege.md)`, options);
  }
}

/** Versions in <set>.schema_migrations; null when the schema or the table does not exist yet. */
export async function recordedVersions(sql: SqlClient, set: MigrationSet): Promise<Set<number> | null> {
  try {
    const { rows } = await sql.query<{ version: number }>(`SELECT version FROM ${set}.schema_migrations`);
    return new Set(rows.map((r) => r.version));
  } catch (err) {
    if (code(err) === UNDEFINED_TABLE || code(err) === INVALID_SCHEMA) return null;
    if (code(err) === INSUFFICIENT_PRIVILEGE) throw new SchemaAccessError(set, await currentRole(sql), { cause: err });
    throw err;
  }
}

/** CREATE on the schema, or on the database while the schema does not exist. */
export async function canCreateIn(sql: SqlClient, set: MigrationSet): Promise<boolean> {
  const { rows } = await sql.query<{ ok: boolean }>(
    `SELECT CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')
                 ELSE has_schema_privilege(n.oid, 'CREATE') END AS ok
     FROM (SELECT 1) AS one LEFT JOIN pg_namespace n ON n.nspname = $1`, [set]);
  return rows[0]?.ok === true;
}

export async function currentRole(sql: SqlClient): Promise<string> {
  return (await sql.query<{ role: string }>(`SELECT current_user AS role`)).rows[0]!.role;
}
