// The routers' and the AMP workers' own Postgres roles and Redis ACL users for one local cluster
// (docs/least-privilege.md), made as a deployment's setup job makes them (`npm run admin -- grant`
// and `redis-acl` run the same storage functions): after the owner migrated, before any service
// starts. Roles and ACL users are server-wide, so the names carry the cluster's name; drop()
// removes them again. Used by `npm run cluster` and the end-to-end topology.
import { randomBytes } from "node:crypto";
import { applyGrants, applyRedisAcl, createPgClient, deleteRedisAclUsers, ensureLoginRole, type SqlClient } from "@xmppd/storage";
import type { Kind } from "./processes.ts";

export interface ServiceAccountsOptions {
  /** The owner's database (migrated): core, and amp unless ampDatabaseUrl names another. */
  databaseUrl: string;
  /** The owner's separate AMP database (AMP_DATABASE_URL), migrated, if any. */
  ampDatabaseUrl?: string;
  /** A Redis user allowed ACL SETUSER. */
  redisUrl: string;
  keyPrefix: string;
  /** Makes the names unique on shared servers: [a-z0-9_-]. */
  suffix: string;
}

export interface ServiceAccounts {
  roles: { router: string; ampWorker: string };
  redisUsers: { router: string; ampWorker: string };
  /** The routers' and AMP workers' DATABASE_URL, AMP_DATABASE_URL and REDIS_URL (createProcessSet's kindEnv). */
  kindEnv: Partial<Record<Kind, Record<string, string>>>;
  /** Revokes and drops the roles, deletes the ACL users. Call before dropping the databases. */
  drop(): Promise<void>;
}

export async function createServiceAccounts(o: ServiceAccountsOptions): Promise<ServiceAccounts> {
  const s = o.suffix.replaceAll("-", "_");
  const roles = { router: `xmppd_router_${s}`, ampWorker: `xmppd_amp_${s}` };
  const redisUsers = { router: `xmppd-router-${o.suffix}`, ampWorker: `xmppd-amp-${o.suffix}` };
  const pw = { router: randomBytes(16).toString("hex"), ampWorker: randomBytes(16).toString("hex") };
  const databases: [string, ("core" | "amp")[]][] = o.ampDatabaseUrl ? [[o.databaseUrl, ["core"]], [o.ampDatabaseUrl, ["amp"]]] : [[o.databaseUrl, ["core", "amp"]]];
  await forEachDatabase(databases.map(([url]) => url), async (owner, i) => {
    if (i === 0) for (const k of ["router", "ampWorker"] as const) await ensureLoginRole(owner, roles[k], pw[k]);
    await applyGrants(owner, roles, databases[i]![1]);
  });
  await applyRedisAcl(o.redisUrl, o.keyPrefix, [
    { service: "router", user: redisUsers.router, password: pw.router },
    { service: "ampWorker", user: redisUsers.ampWorker, password: pw.ampWorker },
  ]);
  const pgAs = (url: string, k: keyof typeof roles) => withCredentials(url, roles[k], pw[k]);
  const redisAs = (k: keyof typeof roles) => withCredentials(o.redisUrl, redisUsers[k], pw[k]);
  return {
    roles,
    redisUsers,
    kindEnv: {
      router: { DATABASE_URL: pgAs(o.databaseUrl, "router"), REDIS_URL: redisAs("router") },
      amp: {
        DATABASE_URL: pgAs(o.databaseUrl, "ampWorker"),
        REDIS_URL: redisAs("ampWorker"),
        ...(o.ampDatabaseUrl ? { AMP_DATABASE_URL: pgAs(o.ampDatabaseUrl, "ampWorker") } : {}),
      },
      // The DMZ holds no database or Redis credentials, not even the owner's from the shared env.
      gateway: { DATABASE_URL: "", REDIS_URL: "", AMP_DATABASE_URL: "" },
    },
    async drop() {
      // A role with privileges in a database cannot be dropped: DROP OWNED revokes them there.
      const list = `"${roles.router}", "${roles.ampWorker}"`;
      await forEachDatabase(databases.map(([url]) => url), (owner) => owner.query(`DROP OWNED BY ${list}`).then(() => {}));
      await forEachDatabase([o.databaseUrl], (owner) => owner.query(`DROP ROLE IF EXISTS ${list}`).then(() => {}));
      await deleteRedisAclUsers(o.redisUrl, Object.values(redisUsers));
    },
  };
}

async function forEachDatabase(urls: string[], fn: (owner: SqlClient, index: number) => Promise<void>): Promise<void> {
  for (const [i, url] of urls.entries()) {
    const owner = createPgClient({ url, max: 1 });
    try {
      await fn(owner, i);
    } finally {
      await owner.close();
    }
  }
}

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}
