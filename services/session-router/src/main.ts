// The session router process: configuration, real adapters, HTTP endpoints, signals.
import { createNatsBus } from "@xmppd/bus";
import { loadConfig, type Config } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { createPgClient, createRedisSessionStore, createUserStore, migrate } from "@xmppd/storage";
import { createRouter } from "./router.ts";

/** The real servers the router needs, each named by the environment variable that sets it. */
function requireUrls(config: Config): { nats: string; redis: string; database: string } {
  const missing: string[] = [];
  if (!config.nats.url) missing.push("NATS_URL (nats.url)");
  if (!config.redis.url) missing.push("REDIS_URL (redis.url)");
  if (!config.database.url) missing.push("DATABASE_URL (database.url)");
  if (missing.length > 0) {
    throw new Error(`session-router: ${missing.join(", ")} not set; set them, or run "npm start" for the single-process embedded mode`);
  }
  return { nats: config.nats.url as string, redis: config.redis.url as string, database: config.database.url as string };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const urls = requireUrls(config);
  const log = createLogger({ service: "session-router", level: config.log.level });
  const sql = createPgClient({ url: urls.database });
  await migrate(sql, "core");
  const bus = await createNatsBus({ url: urls.nats, name: "session-router" });
  const sessions = createRedisSessionStore({ url: urls.redis, keyPrefix: config.redis.keyPrefix ?? `${config.cluster}:` });
  const router = await createRouter({ config, bus, sessions, users: createUserStore(sql), log });
  const http = await startHttp({ host: config.router.host, port: config.router.httpPort, registry: router.registry, isReady: router.isReady, log });
  bus.onClosed((err) => {
    log.fatal({ err }, "lost the bus for good");
    process.exit(1);
  });
  await router.start();

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, router: router.id }, "draining");
    await router.stop();
    await http.close();
    await Promise.all([bus.close(), sessions.close(), sql.close()]);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: unknown) => {
  // Configuration problems are for a human: the message alone, no stack.
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
