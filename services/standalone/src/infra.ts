// The shared infrastructure of the single process: embedded by default (in-process bus,
// in-memory sessions, PGlite in dataDir), or the real server for each URL that is set, so one
// process can also join a real cluster.
import type { Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { openBus } from "@xmppd/runtime";
import type { SessionStore, SqlClient } from "@xmppd/storage";
import { openDatabases, openSessions } from "@xmppd/stores-runtime";

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
  const bus = await openBus(config, "standalone");
  const sessions = openSessions(config);
  const db = await openDatabases(config, { amp: true });
  return {
    bus,
    sessions,
    core: db.core,
    amp: db.amp,
    isEmbeddedDatabase: db.isEmbedded,
    async close() {
      await bus.close();
      await sessions.close();
      await db.close();
    },
  };
}
