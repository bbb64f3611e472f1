// Choose where the admin operations run:
// 1. DATABASE_URL / REDIS_URL set: talk to Postgres / Redis directly (core schema migrated first);
// 2. else (neither: users in the embedded PGlite of dataDir) whoever holds the data directory's lock serves
//    it: a running standalone is asked over loopback (its admin.json); when nobody holds it, this
//    process takes the lock and opens the data directory itself, so a standalone started
//    meanwhile fails clearly instead of writing beside us (and losing what we wrote).
import type { Config } from "@xmppd/config";
import { createAmpStore, createOfflineStore, createUserStore } from "@xmppd/storage";
import { DataDirLockedError, openDatabases, openSessions, type Databases } from "@xmppd/stores-runtime";
import { readLiveAdminFile, type AdminFile } from "./admin-file.ts";
import { createDirectAdminOps } from "./direct-ops.ts";
import { AdminError } from "./ops.ts";
import type { AdminOps } from "./ops.ts";
import { createRemoteAdminOps } from "./remote-ops.ts";

/** How long a standalone that holds the lock may take to publish its admin endpoint (it is still starting). */
const ENDPOINT_WAIT_MS = 20_000;

export async function openAdminOps(config: Config): Promise<AdminOps> {
  const embedded = !config.database.url && !config.redis.url;
  let db: Databases | undefined;
  if (embedded) {
    try {
      db = await openDatabases(config, { amp: true, owner: "admin" });
    } catch (err) {
      if (!(err instanceof DataDirLockedError)) throw err;
      return createRemoteAdminOps(await endpointOfHolder(config.dataDir, err));
    }
  } else if (config.database.url) {
    db = await openDatabases(config, { amp: true });
  }
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
      sessions: embedded ? "no standalone is running (nobody holds the data directory) and REDIS_URL is not set" : "sessions live in Redis: set REDIS_URL",
    },
    close: async () => {
      await Promise.all([db?.close(), sessions?.close()]);
    },
  });
}

/**
 * The admin endpoint of the process holding the data directory: its admin.json, once that names
 * the same pid (a file left by an earlier, dead server is not it). A standalone publishes it once
 * its services have started, so a command typed during start-up waits for it.
 */
async function endpointOfHolder(dataDir: string, locked: DataDirLockedError): Promise<AdminFile> {
  const { holder } = locked;
  if (holder.owner !== "standalone") throw new AdminError(locked.message, "unavailable");
  const deadline = Date.now() + ENDPOINT_WAIT_MS;
  for (;;) {
    const file = readLiveAdminFile(dataDir);
    if (file?.pid === holder.pid) return file;
    if (Date.now() > deadline) {
      throw new AdminError(`the standalone (pid ${holder.pid}) owns ${dataDir} but has not published its admin endpoint (${dataDir}/admin.json) within ${ENDPOINT_WAIT_MS / 1000} s`, "unavailable");
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
