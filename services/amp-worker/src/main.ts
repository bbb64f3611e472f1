// The AMP worker process: configuration, real adapters, the ops listener (amp.ops), signals.
import { loadConfig } from "@xmppd/config";
import { connectionErrorLogger, createLogger, startHttp } from "@xmppd/observability";
import { createReload, exitWhenBusLost, openBus, requireUrls, runProcess, watchDependencies } from "@xmppd/runtime";
import { createAmpStore, createBlockStore, createOfflineStore, createRosterStore, createUserStore } from "@xmppd/storage";
import { openDatabases, openSessions, openSm } from "@xmppd/stores-runtime";
import { createAmpWorker } from "./app.ts";

/** A bare JID no account has (.invalid, RFC 2606): reading its sessions is a Redis round trip. */
const READINESS_PROBE_JID = "readiness@probe.invalid";

runProcess("amp-worker", async () => {
  const config = loadConfig();
  requireUrls("amp-worker", config, ["nats", "redis", "database"]);
  const log = createLogger({ service: "amp-worker", level: config.log.level });
  // Connection errors as rate-limited JSON lines, one limiter per server (connection-errors.ts).
  const redisErrors = connectionErrorLogger(log, "redis");
  const db = await openDatabases(config, { amp: true, onError: connectionErrorLogger(log, "postgres") });
  const bus = await openBus(config, "amp-worker", log);
  const sessions = openSessions(config, redisErrors);
  const sm = openSm(config, redisErrors);
  const worker = await createAmpWorker({
    config, bus, sessions, sm, log,
    users: createUserStore(db.core), roster: createRosterStore(db.core), blocks: createBlockStore(db.core),
    offline: createOfflineStore(db.amp), amp: createAmpStore(db.amp),
  });
  // Not ready while NATS, Redis or a database is away; work fails meanwhile and is nak'd for redelivery.
  const deps = watchDependencies({
    registry: worker.registry, log,
    probes: { nats: () => bus.flush(), redis: () => sessions.get(READINESS_PROBE_JID), postgres: () => Promise.all([db.core.query("SELECT 1"), db.amp.query("SELECT 1")]) },
  });
  const http = await startHttp({ ...config.amp.ops, registry: worker.registry, log, isReady: () => worker.isReady() && deps.isReady(), readyDetail: deps.describe });
  exitWhenBusLost(bus, log);
  await worker.start();
  return {
    // SIGHUP: log.level (nothing else here can change without a restart; the line says what did).
    reload: createReload({ log, config, load: () => loadConfig() }),
    async stop() {
      log.info("draining");
      await worker.stop();
      deps.stop();
      await http.close();
      await Promise.all([bus.close(), sessions.close(), sm.close(), db.close()]);
    },
  };
});
