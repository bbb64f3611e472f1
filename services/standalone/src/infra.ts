// The shared infrastructure of the single process: embedded by default (in-process bus,
// in-memory sessions, PGlite in dataDir), or the real server for each URL that is set, so one
// process can also join a real cluster.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createMemoryBus, createNatsBus } from "@xmppd/bus";
import type { Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { createMemorySessionStore, createPgClient, createPgliteClient, createRedisSessionStore, migrate } from "@xmppd/storage";
import type { SessionStore, SqlClient } from "@xmppd/storage";

export interface Infra {
  bus: Bus;
  sessions: SessionStore;
  /** Users (core schema). */
  core: SqlClient;
  /** Offline storage (amp schema); the same client as core unless amp.databaseUrl differs. */
  amp: SqlClient;
  /** True when users live in this process's PGlite (so the CLI must come through us). */
  isEmbeddedDatabase: boolean;
  close(): Promise<void>;
}

export async function openInfra(config: Config): Promise<Infra> {
  const bus = config.nats.url ? await createNatsBus({ url: config.nats.url, name: "standalone" }) : createMemoryBus();
  const sessions = config.redis.url
    ? createRedisSessionStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` })
    : createMemorySessionStore();
  const core = config.database.url ? createPgClient({ url: config.database.url }) : openPglite(config.dataDir);
  const ampUrl = config.amp.databaseUrl;
  const amp = ampUrl && ampUrl !== config.database.url ? createPgClient({ url: ampUrl }) : core;
  await migrate(core, "core");
  await migrate(amp, "amp");
  return {
    bus,
    sessions,
    core,
    amp,
    isEmbeddedDatabase: !config.database.url,
    async close() {
      await bus.close();
      await sessions.close();
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
