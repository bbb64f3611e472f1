// The shared infrastructure of the single process: embedded by default (in-process bus,
// in-memory sessions, PGlite in dataDir), or the real server for each URL that is set, so one
// process can also join a real cluster.
import type { Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { connectionErrorLogger, type Logger } from "@xmppd/observability";
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

export async function openInfra(config: Config, log: Logger): Promise<Infra> {
  // The database first: in embedded mode it takes the data directory's lock, so a second
  // standalone on the same directory fails here, before it opens or binds anything else.
  const db = await openDatabases(config, { amp: true, owner: "standalone", onError: connectionErrorLogger(log, "postgres") });
  let bus: Bus;
  try {
    bus = await openBus(config, "standalone", log);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  const sessions = openSessions(config, connectionErrorLogger(log, "redis"));
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
