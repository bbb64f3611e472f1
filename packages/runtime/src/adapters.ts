// Adapters chosen from the configuration: the real server where its URL is set, otherwise the
// embedded one (in-process bus, in-memory sessions, PGlite in dataDir) for `npm start`.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createMemoryBus, createNatsBus, type Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { createMemorySessionStore, createPgClient, createPgliteClient, createRedisSessionStore, migrate } from "@xmppd/storage";
import type { SessionStore, SmStore, SqlClient } from "@xmppd/storage";
import { createMemorySmStore, createRedisSmStore } from "@xmppd/storage";

export async function openBus(config: Config, name: string): Promise<Bus> {
  return config.nats.url ? createNatsBus({ url: config.nats.url, name }) : createMemoryBus();
}

export function openSessions(config: Config): SessionStore {
  return config.redis.url
    ? createRedisSessionStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` })
    : createMemorySessionStore();
}

/** XEP-0198 resumption state beside the sessions (same Redis, same prefix), or in process. */
export function openSm(config: Config): SmStore {
  return config.redis.url
    ? createRedisSmStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` })
    : createMemorySmStore();
}

export interface Databases {
  /** Users (schema core). */
  core: SqlClient;
  /** Offline storage (schema amp): the same client as core unless amp.databaseUrl names another database. */
  amp: SqlClient;
  /** True when the data lives in this process's PGlite. */
  isEmbedded: boolean;
  close(): Promise<void>;
}

/** Opens and migrates the schemas a service uses. */
export async function openDatabases(config: Config, sets: { amp: boolean }): Promise<Databases> {
  const core = config.database.url ? createPgClient({ url: config.database.url }) : openPglite(config.dataDir);
  const ampUrl = config.amp.databaseUrl;
  const amp = sets.amp && ampUrl && ampUrl !== config.database.url ? createPgClient({ url: ampUrl }) : core;
  await migrate(core, "core");
  if (sets.amp) await migrate(amp, "amp");
  return {
    core,
    amp,
    isEmbedded: !config.database.url,
    async close() {
      if (amp !== core) await amp.close();
      await core.close();
    },
  };
}

function openPglite(dataDir: string): SqlClient {
  const dir = join(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  return createPgliteClient({ dataDir: dir });
}
