// Applies SERVICE_GRANTS as the schemas' owner, after the migrations. Idempotent and convergent:
// each role first loses everything it had on the schemas, then gets exactly what the table says,
// all in one transaction, so re-running it after an upgrade also takes back what was dropped.
import type { SqlClient } from "../types.ts";
import type { MigrationSet } from "../sql/migrate.ts";
import { grantStatements, quoteIdent, SERVICE_GRANTS, type ServiceRole } from "./pg-grants.ts";

export type ServiceRoles = Partial<Record<ServiceRole, string>>;

export class GrantError extends Error {
  override readonly name = "GrantError";
}

/** Grants `roles` their privileges on `schemas` (those of this database: amp may live elsewhere). */
export async function applyGrants(owner: SqlClient, roles: ServiceRoles, schemas: readonly MigrationSet[]): Promise<void> {
  const named = Object.entries(roles).filter((e): e is [ServiceRole, string] => typeof e[1] === "string");
  if (named.length === 2 && named[0]![1] === named[1]![1]) {
    throw new GrantError(`the router and the AMP worker need roles of their own, both are ${named[0]![1]}`);
  }
  await owner.transaction(async (tx) => {
    for (const [, role] of named) {
      const found = await tx.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
      if (found.rows.length === 0) throw new GrantError(`role ${role} does not exist: create it first (CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '...')`);
    }
    for (const schema of schemas) {
      const exists = await tx.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
      if (exists.rows.length === 0) throw new GrantError(`schema ${schema} does not exist here: run \`npm run admin -- migrate\` first`);
      for (const [service, role] of named) {
        // REVOKE on a table also revokes its column privileges.
        for (const what of ["ALL TABLES IN SCHEMA", "ALL SEQUENCES IN SCHEMA", "SCHEMA"]) {
          await tx.query(`REVOKE ALL ON ${what} ${schema} FROM ${quoteIdent(role)}`);
        }
        const grants = SERVICE_GRANTS[service][schema];
        if (grants) for (const statement of grantStatements(grants, schema, role)) await tx.query(statement);
      }
    }
  });
}

/**
 * Creates a login role for a service, or resets its password: NOSUPERUSER NOCREATEDB NOCREATEROLE,
 * so all it can do is what applyGrants gives it (and PUBLIC's CONNECT). Needs CREATEROLE.
 */
export async function ensureLoginRole(owner: SqlClient, role: string, password: string): Promise<"created" | "updated"> {
  const exists = (await owner.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role])).rows.length > 0;
  // Utility statements take no parameters: the password goes in as a quoted literal.
  const attrs = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${quoteLiteral(password)}`;
  await owner.query(`${exists ? "ALTER" : "CREATE"} ROLE ${quoteIdent(role)} ${attrs}`);
  return exists ? "updated" : "created";
}

/** With standard_conforming_strings (on by default since 9.1) only the quote needs doubling. */
function quoteLiteral(text: string): string {
  if (text.includes("\0")) throw new GrantError("a password cannot contain NUL");
  return `'${text.replaceAll("'", "''")}'`;
}
