// Postgres for the private tier chosen from the configuration: the real server where its URL is
// set, otherwise PGlite in dataDir (embedded mode, `npm start`).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "@xmppd/config";
import { createPgClient, createPgliteClient, migrate } from "@xmppd/storage";
import type { SqlClient } from "@xmppd/storage";

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
