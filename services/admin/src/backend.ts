// Choose where the admin operations run:
// 1. DATABASE_URL / REDIS_URL set: talk to Postgres / Redis directly (core schema migrated first);
// 2. else a running embedded standalone (its admin.json in dataDir): ask it over loopback;
// 3. else open the embedded PGlite data directory directly (nobody else has it open).
import { join } from "node:path";
import type { Config } from "@xmppd/config";
import { createPgClient, createPgliteClient, createRedisSessionStore, createUserStore, migrate } from "@xmppd/storage";
import type { SessionStore, SqlClient } from "@xmppd/storage";
import { readLiveAdminFile } from "./admin-file.ts";
import { createDirectAdminOps } from "./direct-ops.ts";
import type { AdminOps } from "./ops.ts";
import { createRemoteAdminOps } from "./remote-ops.ts";

export async function openAdminOps(config: Config): Promise<AdminOps> {
  if (config.database.url || config.redis.url) return openServers(config);
  const running = readLiveAdminFile(config.dataDir);
  if (running) return createRemoteAdminOps(running);
  return openEmbedded(config);
}

async function openServers(config: Config): Promise<AdminOps> {
  let sql: SqlClient | undefined;
  let sessions: SessionStore | undefined;
  if (config.database.url) {
    sql = createPgClient({ url: config.database.url });
    await migrate(sql, "core");
  }
  if (config.redis.url) sessions = createRedisSessionStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` });
  return createDirectAdminOps({
    users: sql ? createUserStore(sql) : undefined,
    sessions,
    iterations: config.scramIterations,
    domains: config.domains,
    missing: { users: "users live in Postgres: set DATABASE_URL", sessions: "sessions live in Redis: set REDIS_URL" },
    close: async () => {
      await Promise.all([sql?.close(), sessions?.close()]);
    },
  });
}

async function openEmbedded(config: Config): Promise<AdminOps> {
  const sql = createPgliteClient({ dataDir: join(config.dataDir, "pglite") });
  await migrate(sql, "core");
  return createDirectAdminOps({
    users: createUserStore(sql),
    iterations: config.scramIterations,
    domains: config.domains,
    missing: { sessions: "no standalone is running (no live admin.json in the data directory) and REDIS_URL is not set" },
    close: () => sql.close(),
  });
}
