// Postgres for the private tier chosen from the configuration: the real server where its URL is
// set, otherwise PGlite in dataDir (embedded mode, `npm start`).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "@xmppd/config";
import { createPgClient, createPgliteClient, migrate } from "@xmppd/storage";
import type { SqlClient } from "@xmppd/storage";
import { lockDataDir } from "./data-dir-lock.ts";

export interface Databases {
  /** Users (schema core). */
  core: SqlClient;
  /** Offline storage (schema amp): the same client as core unless amp.databaseUrl names another database. */
  amp: SqlClient;
  /** True when the data lives in this process's PGlite. */
  isEmbedded: boolean;
  close(): Promise<void>;
}

/**
 * Opens and migrates the schemas a service uses. PGlite is opened only under the data directory's
 * lock (data-dir-lock.ts), held until close(): `owner` names this process in the error another
 * one gets meanwhile.
 */
export async function openDatabases(config: Config, sets: { amp: boolean; owner?: string; onError?: (err: Error) => void }): Promise<Databases> {
  const core = config.database.url ? createPgClient({ url: config.database.url, onError: sets.onError }) : openPglite(config.dataDir, sets.owner ?? "xmppd");
  const ampUrl = config.amp.databaseUrl;
  const amp = sets.amp && ampUrl && ampUrl !== config.database.url ? createPgClient({ url: ampUrl, onError: sets.onError }) : core;
  const close = async (): Promise<void> => {
    if (amp !== core) await amp.close();
    await core.close();
  };
  try {
    await migrate(core, "core");
    if (sets.amp) await migrate(amp, "amp");
  } catch (err) {
    // A failed start must not keep the data directory's lock (or a pool) behind it.
    await close().catch(() => {});
    throw err;
  }
  return { core, amp, isEmbedded: !config.database.url, close };
}

function openPglite(dataDir: string, owner: string): SqlClient {
  const lock = lockDataDir(dataDir, owner);
  const dir = join(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  const client = createPgliteClient({ dataDir: dir });
  return {
    ...client,
    async close() {
      try {
        await client.close();
      } finally {
        lock.release();
      }
    },
  };
}
