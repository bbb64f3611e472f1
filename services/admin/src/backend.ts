// Choose where the admin operations run:
// 1. DATABASE_URL / REDIS_URL set: talk to Postgres / Redis directly (core schema migrated first);
// 2. else a running embedded standalone (its admin.json in dataDir): ask it over loopback;
// 3. else open the embedded PGlite data directory directly (nobody else has it open).
// The same choice for the operations on the running server (kick, stats, amp-queue, migrate).
import type { Config } from "@xmppd/config";
import { createAmpStore, createMemorySessionStore, createOfflineStore, createUserStore } from "@xmppd/storage";
import { openDatabases, openSessions } from "@xmppd/stores-runtime";
import { readLiveAdminFile } from "./admin-file.ts";
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

export async function openAdminOps(config: Config): Promise<AdminOps> {
  const embedded = isEmbedded(config);
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

/** kick, stats, amp-queue, migrate, grant, redis-acl: on the cluster's servers, or the embedded standalone. */
export async function openServerOps(config: Config): Promise<ClusterOps> {
  if (!isEmbedded(config)) return openClusterOps(config);
  const running = readLiveAdminFile(config.dataDir);
  if (running) return embeddedCluster(config, createRemoteAdminOps(running), async () => {});
  // Nobody runs on this data directory: its database is ours to open; nobody is connected and
  // the in-process AMP queue went with the last process.
  const db = await openDatabases(config, { amp: true });
  const sessions = createMemorySessionStore();
  const local = createServerOps({
    sessions: () => sessions,
    toGateway: async () => {},
    core: () => db.core,
    amp: () => db.amp,
    queue: async () => embeddedQueueStatus(0),
  });
  const notRunning = async (): Promise<never> => {
    throw new AdminError(`no server is running on ${config.dataDir} (no live admin.json there): nobody is connected`, "unavailable");
  };
  return embeddedCluster(config, { ...local, kick: notRunning }, () => db.close());
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
