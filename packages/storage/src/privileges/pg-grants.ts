// The Postgres privileges of each service's own role: the one source of truth, applied by
// applyGrants (admin `grant`) and explained in docs/least-privilege.md. Every table of a schema a
// role may use is listed, granted or not, so a new migration's table fails the coverage test
// until someone decides here who may touch it. Derived from the SQL the service's stores run.
import type { MigrationSet } from "../sql/migrate.ts";

export type ServiceRole = "router" | "ampWorker";

/** "all" for the whole table, or a column list (a column-level grant). */
export type Columns = "all" | readonly string[];

export interface TableGrant {
  select?: Columns;
  insert?: true;
  update?: Columns;
  delete?: true;
}

export interface SchemaGrants {
  /** Every table of the schema; {} means none, on purpose. */
  tables: Readonly<Record<string, TableGrant>>;
  /** Sequences behind bigserial columns of tables the role inserts into (USAGE: nextval). */
  sequences: readonly string[];
}

const ALL = "all";
const READ_WRITE: TableGrant = { select: ALL, insert: true, update: ALL, delete: true };
// migrate() reads it to check, without creating anything, that the schema is current.
const MIGRATIONS: TableGrant = { select: ALL };

/** A schema missing from a role's entry: no USAGE on it at all. */
export const SERVICE_GRANTS: Readonly<Record<ServiceRole, Partial<Record<MigrationSet, SchemaGrants>>>> = {
  // The router runs SASL, registration (XEP-0077 create, password change, cancel), rosters,
  // blocking, vCard/private XML and last activity. It never touches schema amp: offline storage
  // and XEP-0013 belong to the AMP worker, reached through the work queue (offline-capability.ts).
  router: {
    core: {
      tables: {
        schema_migrations: MIGRATIONS,
        // Password changes rewrite the SCRAM columns only (UserStore.setCredentials).
        users: { select: ALL, insert: true, update: ["scram_sha1", "scram_sha256"], delete: true },
        // UserStore.serverSecret: insert-if-absent, then read.
        secrets: { select: ALL, insert: true },
        roster: READ_WRITE,
        roster_versions: READ_WRITE,
        blocklist: { select: ALL, insert: true, delete: true },
        // Raised, never deleted (routers order their Redis copies by it).
        blocklist_versions: { select: ALL, insert: true, update: ALL },
        account_xml: READ_WRITE,
        last_activity: READ_WRITE,
      },
      sequences: [],
    },
  },
  // The AMP worker stores, flushes and expires offline messages and XEP-0079 events; from core it
  // only asks whether an account exists (UserStore.exists), whether the recipient's roster
  // authorises the sender (strict security: RosterStore.authorises) and the block list
  // (BlockStore.get). It can read no credential, roster name, group, vCard or secret.
  ampWorker: {
    core: {
      tables: {
        schema_migrations: MIGRATIONS,
        users: { select: ["domain", "username"] },
        secrets: {},
        roster: { select: ["owner", "contact", "subscription", "removed"] },
        roster_versions: {},
        blocklist: { select: ALL },
        blocklist_versions: { select: ALL },
        account_xml: {},
        last_activity: {},
      },
      sequences: [],
    },
    amp: {
      tables: {
        schema_migrations: MIGRATIONS,
        offline_messages: READ_WRITE,
        outbox: READ_WRITE,
      },
      sequences: ["offline_messages_id_seq", "outbox_id_seq"],
    },
  },
};

/** The GRANT statements of one role on one schema (after applyGrants has revoked everything). */
export function grantStatements(grants: SchemaGrants, schema: MigrationSet, role: string): string[] {
  const to = quoteIdent(role);
  const out = [`GRANT USAGE ON SCHEMA ${schema} TO ${to}`];
  for (const [table, g] of Object.entries(grants.tables)) {
    const on = `${schema}.${quoteIdent(table)}`;
    const privileges = [
      ...(g.select ? [withColumns("SELECT", g.select)] : []),
      ...(g.insert ? ["INSERT"] : []),
      ...(g.update ? [withColumns("UPDATE", g.update)] : []),
      ...(g.delete ? ["DELETE"] : []),
    ];
    if (privileges.length > 0) out.push(`GRANT ${privileges.join(", ")} ON ${on} TO ${to}`);
  }
  for (const seq of grants.sequences) out.push(`GRANT USAGE ON SEQUENCE ${schema}.${quoteIdent(seq)} TO ${to}`);
  return out;
}

function withColumns(privilege: string, columns: Columns): string {
  return columns === ALL ? privilege : `${privilege} (${columns.map(quoteIdent).join(", ")})`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
