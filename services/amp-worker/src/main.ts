// The AMP worker process: configuration, real adapters, HTTP endpoints, signals.
import { createNatsBus } from "@xmppd/bus";
import { ConfigError, loadConfig } from "@xmppd/config";
import type { Config } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { createOfflineStore, createPgClient, createRedisSessionStore, createUserStore, migrate } from "@xmppd/storage";
import type { SqlClient } from "@xmppd/storage";
import { createAmpWorker } from "./app.ts";

/** The real servers this process needs, with the environment variable that sets each. */
function requireUrls(config: Config): { nats: string; redis: string; database: string; ampDatabase: string } {
  const missing: string[] = [];
  if (!config.nats.url) missing.push("NATS_URL (nats.url)");
  if (!config.redis.url) missing.push("REDIS_URL (redis.url)");
  if (!config.database.url) missing.push("DATABASE_URL (database.url)");
  if (missing.length > 0) {
    const verb = missing.length > 1 ? "are" : "is";
    throw new Error(`amp-worker: ${missing.join(", ")} ${verb} not set; set ${missing.length > 1 ? "them" : "it"}, or run "npm start" for the single-process embedded mode`);
  }
  const database = config.database.url as string;
  return { nats: config.nats.url as string, redis: config.redis.url as string, database, ampDatabase: config.amp.databaseUrl ?? database };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const urls = requireUrls(config);
  const log = createLogger({ service: "amp-worker", level: config.log.level });
  const core = createPgClient({ url: urls.database });
  await migrate(core, "core");
  const ampSql: SqlClient = urls.ampDatabase === urls.database ? core : createPgClient({ url: urls.ampDatabase });
  await migrate(ampSql, "amp");
  const bus = await createNatsBus({ url: urls.nats, name: "amp-worker" });
  const sessions = createRedisSessionStore({ url: urls.redis, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` });
  const worker = await createAmpWorker({ config, bus, sessions, users: createUserStore(core), offline: createOfflineStore(ampSql), log });
  const http = await startHttp({ host: config.amp.host, port: config.amp.httpPort, registry: worker.registry, isReady: worker.isReady, log });
  bus.onClosed((err) => {
    log.fatal({ err }, "lost the bus for good");
    process.exit(1);
  });
  await worker.start();

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining");
    await worker.stop();
    await http.close();
    await Promise.all([bus.close(), sessions.close(), core.close(), ampSql === core ? null : ampSql.close()]);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: unknown) => {
  // Configuration problems are for a human: print the message alone, not a stack.
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
