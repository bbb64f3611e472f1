// Choose where the admin operations run:
// 1. DATABASE_URL / REDIS_URL set: talk to Postgres / Redis directly (core schema migrated first);
// 2. else (neither: users in the embedded PGlite of dataDir) whoever holds the data directory's lock serves
//    it: a running standalone is asked over loopback (its admin.json); when nobody holds it, this
//    process takes the lock and opens the data directory itself, so a standalone started
//    meanwhile fails clearly instead of writing beside us (and losing what we wrote).
// The same choice for the operations on the running server (kick, stats, amp-queue, migrate).
import type { Config } from "@xmppd/config";
import { createAmpStore, createMemorySessionStore, createOfflineStore, createUserStore } from "@xmppd/storage";
import { DataDirLockedError, openDatabases, openSessions, type Databases } from "@xmppd/stores-runtime";
import { readLiveAdminFile, type AdminFile } from "./admin-file.ts";
import { openClusterOps, type ClusterOps } from "./cluster-ops.ts";
import { createDirectAdminOps } from "./direct-ops.ts";
import { embeddedQueueStatus } from "./embedded-ops.ts";
import { AdminError } from "./ops.ts";
import type { AdminOps } from "./ops.ts";
import { redisAcl } from "./privilege-ops.ts";
import { createRemoteAdminOps } from "./remote-ops.ts";
import { createServerOps, type ServerOps } from "./server-ops.ts";

/** No Postgres and no Redis configured: the data lives in the standalone's PGlite and memory. */
const isEmbedded = (config: Config): boolean => !config.database.url && !config.redis.url;

/** How long a standalone that holds the lock may take to publish its admin endpoint (it is still starting). */
const ENDPOINT_WAIT_MS = 20_000;

export async function openAdminOps(config: Config): Promise<AdminOps> {
  const embedded = isEmbedded(config);
  let db: Databases | undefined;
  if (embedded) {
    const opened = await openEmbedded(config);
    if (!("core" in opened)) return createRemoteAdminOps(opened);
    db = opened;
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

/** kick, stats, amp-queue, migrate, grant, redis-acl: on the cluster's servers, or the embedded standalone. */
export async function openServerOps(config: Config): Promise<ClusterOps> {
  if (!isEmbedded(config)) return openClusterOps(config);
  const opened = await openEmbedded(config);
  if (!("core" in opened)) return embeddedCluster(config, createRemoteAdminOps(opened), async () => {});
  // Nobody runs on this data directory: its database is ours to open (we hold the lock); nobody
  // is connected and the in-process AMP queue went with the last process.
  const db = opened;
  const sessions = createMemorySessionStore();
  const local = createServerOps({
    sessions: () => sessions,
    toGateway: async () => {},
    core: () => db.core,
    amp: () => db.amp,
    queue: async () => embeddedQueueStatus(0),
  });
  const notRunning = async (): Promise<never> => {
    throw new AdminError(`no server is running on ${config.dataDir} (nobody holds the data directory): nobody is connected`, "unavailable");
  };
  return embeddedCluster(config, { ...local, kick: notRunning }, () => db.close());
}

/** The embedded data directory, opened under its lock; or, when a standalone holds it, that server's admin endpoint. */
async function openEmbedded(config: Config): Promise<Databases | AdminFile> {
  try {
    return await openDatabases(config, { amp: true, owner: "admin" });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    return endpointOfHolder(config.dataDir, err);
  }
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

function embeddedCluster(config: Config, server: ServerOps, close: () => Promise<void>): ClusterOps {
  return {
    kick: (jid, text) => server.kick(jid, text),
    stats: () => server.stats(),
    ampQueue: () => server.ampQueue(),
    migrate: () => server.migrate(),
    grant: async () => {
      throw new AdminError("grant gives Postgres roles their privileges: the embedded database (PGlite) has no roles; set DATABASE_URL to run it on Postgres", "unavailable");
    },
    // --print needs no Redis; applying says to set REDIS_URL.
    redisAcl: (request) => redisAcl(config, request),
    close,
  };
}
