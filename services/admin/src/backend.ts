// Choose where the admin operations run:
// 1. DATABASE_URL / REDIS_URL set: talk to Postgres / Redis directly (core schema migrated first);
// 2. else a running embedded standalone (its admin.json in dataDir): ask it over loopback;
// 3. else open the embedded PGlite data directory directly (nobody else has it open).
import type { Config } from "@xmppd/config";
import { createAmpStore, createOfflineStore, createUserStore } from "@xmppd/storage";
import { openDatabases, openSessions } from "@xmppd/stores-runtime";
import { readLiveAdminFile } from "./admin-file.ts";
import { createDirectAdminOps } from "./direct-ops.ts";
import type { AdminOps } from "./ops.ts";
import { createRemoteAdminOps } from "./remote-ops.ts";

export async function openAdminOps(config: Config): Promise<AdminOps> {
  const embedded = !config.database.url && !config.redis.url;
  if (embedded) {
    const running = readLiveAdminFile(config.dataDir);
    if (running) return createRemoteAdminOps(running);
  }
  const db = embedded || config.database.url ? await openDatabases(config, { amp: true }) : undefined;
  const sessions = config.redis.url ? openSessions(config) : undefined;
  return createDirectAdminOps({
    users: db ? createUserStore(db.core) : undefined,
    offline: db ? createOfflineStore(db.amp) : undefined,
    amp: db ? createAmpStore(db.amp) : undefined,
    sessions,
    iterations: config.scramIterations,
    domains: config.domains,
    missing: {
      users: "users live in Postgres: set DATABASE_URL",
      offline: "offline messages live in Postgres: set DATABASE_URL (and AMP_DATABASE_URL if they have a database of their own)",
      sessions: embedded ? "no standalone is running (no live admin.json in the data directory) and REDIS_URL is not set" : "sessions live in Redis: set REDIS_URL",
    },
    close: async () => {
      await Promise.all([db?.close(), sessions?.close()]);
    },
  });
}
