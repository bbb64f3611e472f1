// Test-only: a throwaway database migrated by its owner, with a router role and an AMP worker
// role of this run (roles are cluster-wide, so the names carry a random suffix) granted by
// applyGrants, as the admin `grant` command does. drop() removes the database, then the roles.
import { randomBytes } from "node:crypto";
import { createThrowawayDatabase } from "../contracts/throwaway-database.ts";
import { createPgClient } from "../sql/pg-client.ts";
import { migrate } from "../sql/migrate.ts";
import type { SqlClient } from "../types.ts";
import { applyGrants, ensureLoginRole } from "./apply-grants.ts";
import type { ServiceRole } from "./pg-grants.ts";

export interface GrantedDatabase {
  owner: SqlClient;
  roles: Record<ServiceRole, string>;
  /** A client connected as a service's role (closed by drop). */
  as(service: ServiceRole): SqlClient;
  drop(): Promise<void>;
}

export async function grantedDatabase(): Promise<GrantedDatabase> {
  const db = await createThrowawayDatabase();
  const owner = createPgClient({ url: db.url });
  const suffix = randomBytes(5).toString("hex");
  const roles = { router: `xmppd_t_router_${suffix}`, ampWorker: `xmppd_t_amp_${suffix}` };
  const password = randomBytes(12).toString("hex");
  const clients: SqlClient[] = [];
  try {
    await migrate(owner, "core");
    await migrate(owner, "amp");
    for (const role of Object.values(roles)) await ensureLoginRole(owner, role, password);
    await applyGrants(owner, roles, ["core", "amp"]);
  } catch (err) {
    await owner.close();
    await db.drop();
    await dropRoles(Object.values(roles));
    throw err;
  }
  return {
    owner,
    roles,
    as(service) {
      const url = new URL(db.url);
      url.username = roles[service];
      url.password = password;
      const client = createPgClient({ url: url.toString(), max: 2 });
      clients.push(client);
      return client;
    },
    async drop() {
      await Promise.all(clients.map((c) => c.close()));
      await owner.close();
      // The database goes first: its grants are what would keep DROP ROLE from succeeding.
      await db.drop();
      await dropRoles(Object.values(roles));
    },
  };
}

async function dropRoles(roles: string[]): Promise<void> {
  const admin = createPgClient({ url: "postgres://postgres@127.0.0.1:5432/postgres", max: 1 });
  try {
    for (const role of roles) await admin.query(`DROP ROLE IF EXISTS "${role}"`);
  } finally {
    await admin.close();
  }
}
